-- The lifecycle module (packages/core/src/image-jobs) compares-and-sets every change on a version:
-- image_jobs.version and book_images.copy_version, bumped by each transition. Photo copies gain
-- `copying` (claimed before the download, so two imports never copy one photo twice) and
-- `retryable` (a transient failure: the attempt and the time of the next try are recorded).
--
-- Expand only (docs: packages/core/src/migrations/README.md): new columns with defaults, a CHECK
-- widened. The previous release's statements keep working on this schema (its INSERTs leave the
-- new columns at their defaults; it only ever writes copy states this CHECK still allows), which
-- tests/lifecycle/migration-expand.test.ts runs against it.
ALTER TABLE image_jobs ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE book_images ADD COLUMN copy_version integer NOT NULL DEFAULT 0;
ALTER TABLE book_images ADD COLUMN copy_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE book_images ADD COLUMN copy_claimed_at timestamptz;
ALTER TABLE book_images ADD COLUMN copy_retry_at timestamptz;
ALTER TABLE book_images DROP CONSTRAINT book_images_copy_status_check;
ALTER TABLE book_images ADD CONSTRAINT book_images_copy_status_check
  CHECK (copy_status IN ('pending', 'copying', 'retryable', 'copied', 'failed'));
