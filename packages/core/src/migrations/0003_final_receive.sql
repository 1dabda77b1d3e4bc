-- Whether the job's current claim is its message's last delivery before the DLQ takes it
-- (ApproximateReceiveCount ≥ the queue's maxReceiveCount), written by every claim. A worker lost
-- during that delivery (killed, timed out) cannot mark the job dead-lettered, and its message
-- goes to the DLQ anyway: the retry sweep then marks the job failed instead of re-sending it,
-- so the DLQ holds only jobs marked dead-lettered and nothing runs a second copy.
-- Expand only: code of the previous release neither reads nor writes it.
ALTER TABLE image_jobs ADD COLUMN final_receive boolean NOT NULL DEFAULT false;
