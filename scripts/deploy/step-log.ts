/**
 * Step logging of promote (promote.ts): `[n/total] title` before each step, its duration after,
 * and every step's duration and outcome kept for the summary table.
 */
export interface StepDuration {
  step: string;
  ms: number;
  ok: boolean;
}

export class StepLog {
  readonly durations: StepDuration[] = [];
  private stepNo = 0;

  constructor(
    private readonly log: (line: string) => void,
    /** The number of steps announced (a step added on the way raises it: addStep). */
    public totalSteps: number,
  ) {}

  /** One more step than announced (e.g. lifting a stop), counted before it runs. */
  addStep() {
    this.totalSteps += 1;
  }

  /** A numbered step: announced, timed, and its "done in" printed when it succeeds. */
  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.stepNo += 1;
    this.log(`[${this.stepNo}/${this.totalSteps}] ${title}`);
    const started = Date.now();
    try {
      const result = await fn();
      this.durations.push({ step: title, ms: Date.now() - started, ok: true });
      this.log(`      done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      this.durations.push({ step: title, ms: Date.now() - started, ok: false });
      throw error;
    }
  }

  /** An unnumbered step (rollback, stop), timed; `ok` says whether its result counts as a success. */
  async timed<T>(title: string, fn: () => Promise<T>, ok: (r: T) => boolean = () => true): Promise<T> {
    const started = Date.now();
    try {
      const result = await fn();
      this.durations.push({ step: title, ms: Date.now() - started, ok: ok(result) });
      return result;
    } catch (error) {
      this.durations.push({ step: title, ms: Date.now() - started, ok: false });
      throw error;
    }
  }

  /** The summary's table rows: ✔/✘, step, seconds; then the total. */
  table(): string[] {
    return [
      ...this.durations.map((d) => `  ${d.ok ? "✔" : "✘"} ${d.step.padEnd(46)} ${(d.ms / 1000).toFixed(1).padStart(6)} s`),
      `  total ${(this.durations.reduce((a, d) => a + d.ms, 0) / 1000).toFixed(1)} s`,
    ];
  }
}
