/**
 * Image job states: kept as an entry point for existing importers; the table itself lives in
 * `image-jobs/lifecycle-table.ts`, with the photo-copy states beside it.
 */
export {
  allowedFrom,
  canTransition,
  type JobStatus,
  jobStatuses,
  jobTransitions as transitions,
  terminalJobStatuses as terminalStatuses,
} from "./image-jobs/lifecycle-table.ts";
