-- Books imported from a listing, their photos, and the background-removal jobs of those photos.
CREATE TABLE books (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source          text NOT NULL,
  source_item_id  text NOT NULL,
  title           text NOT NULL,
  price_value     numeric(12, 2),
  price_currency  text,
  condition       text,
  seller          text,
  item_url        text,
  specifics       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, source_item_id)
);

CREATE TABLE book_images (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  book_id         uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  position        integer NOT NULL CHECK (position >= 0),
  source_url      text NOT NULL,
  copy_status     text NOT NULL DEFAULT 'pending' CHECK (copy_status IN ('pending', 'copied', 'failed')),
  copy_error      text,
  s3_key          text,
  content_type    text,
  byte_size       integer,
  is_primary      boolean NOT NULL DEFAULT false,
  processed_key   text,
  processed_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (book_id, position)
);
CREATE UNIQUE INDEX book_images_one_primary ON book_images (book_id) WHERE is_primary;

CREATE TABLE image_jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  image_id        uuid NOT NULL REFERENCES book_images (id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'queued', 'queue_failed', 'processing', 'completed', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  send_attempts   integer NOT NULL DEFAULT 0,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  queued_at       timestamptz,
  started_at      timestamptz,
  completed_at    timestamptz
);
CREATE INDEX image_jobs_status_updated ON image_jobs (status, updated_at);
CREATE INDEX image_jobs_image ON image_jobs (image_id);
CREATE INDEX book_images_book ON book_images (book_id, position);
CREATE INDEX books_created ON books (created_at DESC, id);
