-- At most one active job per photo: "is one active?" then INSERT could race (two reprocess
-- requests, an import and its retry). Active is every state a job can still move on from
-- towards processing: pending, queued, queue_failed (the sweep re-sends it), processing.
-- Duplicates left by older code: all but the newest active job of a photo end failed, with a reason.
UPDATE image_jobs j
SET status = 'failed', last_error = 'superseded: a newer active job of the same photo exists (migration 0002)', updated_at = now()
WHERE j.status IN ('pending', 'queued', 'queue_failed', 'processing')
  AND EXISTS (
    SELECT 1 FROM image_jobs k
    WHERE k.image_id = j.image_id AND k.status IN ('pending', 'queued', 'queue_failed', 'processing')
      AND (k.created_at, k.id) > (j.created_at, j.id)
  );

CREATE UNIQUE INDEX image_jobs_one_active ON image_jobs (image_id)
  WHERE status IN ('pending', 'queued', 'queue_failed', 'processing');
