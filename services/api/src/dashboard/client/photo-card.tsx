/** One photo of a book: its original and its cut-out side by side, the job's badge and a (re)process button. */
import { useEffect, useState } from "hono/jsx/dom";
import type { JobStatus, Photo } from "./api-types.ts";

/** Display names, in the order the summary lists them. The states themselves (what may be processed, what still moves) come from the API. */
export const statusLabels: Record<JobStatus, string> = {
  processing: "Processing",
  queued: "Queued",
  pending: "Pending",
  queue_failed: "Queue failed",
  completed: "Completed",
  failed: "Failed",
};

const waitingText: Partial<Record<JobStatus, string>> = {
  pending: "Waiting to be queued…",
  queued: "Waiting in the queue…",
  processing: "Removing the background…",
  queue_failed: "Could not queue; the retry sweep will resend it",
  failed: "Background removal failed",
};

type ImageState = "loading" | "loaded" | "failed";

export interface PhotoCardProps {
  photo: Photo;
  bookTitle: string;
  onProcess: (photo: Photo) => Promise<string | null>;
}

export function PhotoCard({ photo, bookTitle, onProcess }: PhotoCardProps) {
  const n = photo.position + 1;
  const job = photo.processing;
  // Presigned URLs change with every read: an image keeps the URL it first loaded, and the
  // cut-out takes a new one only when a (re)processing run completes, so nothing reloads per poll.
  const [originalSrc, setOriginalSrc] = useState<string | null>(null);
  const [originalState, setOriginalState] = useState<ImageState>("loading");
  const [cutout, setCutout] = useState<{ src: string; version: string } | null>(null);
  const [cutoutState, setCutoutState] = useState<ImageState>("loading");
  const [sending, setSending] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    if (!photo.originalUrl) setOriginalSrc(null);
    else if (originalSrc === null || originalState === "failed") {
      // First URL, or a retry of one that failed (an expired URL): the next poll brings a fresh one.
      setOriginalSrc(photo.originalUrl);
      setOriginalState("loading");
    }
  }, [photo.originalUrl]);
  const version = photo.processedUrl ? (job ? `${job.jobId}:${job.status}` : "done") : "";
  useEffect(() => {
    if (!photo.processedUrl) {
      if (cutout) setCutout(null);
    } else if ((version !== cutout?.version || cutoutState === "failed") && (!job || job.status === "completed" || !cutout)) {
      setCutout({ src: photo.processedUrl, version });
      setCutoutState("loading");
    }
  }, [photo.processedUrl, version]);

  const status = photo.copyStatus !== "copied" ? `copy_${photo.copyStatus}` : (job?.status ?? "none");
  // The pipeline is still moving the job: a spinner, and the button waits for the API to say it may.
  const busy = Boolean(job?.active);
  const badge =
    photo.copyStatus === "failed"
      ? "Copy failed"
      : photo.copyStatus === "retryable"
        ? `Copy retrying · try ${photo.copyAttempts + 1}`
        : photo.copyStatus !== "copied"
          ? "Copying"
          : job
            ? `${statusLabels[job.status]}${job.attempts > 1 ? ` · try ${job.attempts}` : ""}`
            : "Not processed";
  const stale = busy && Boolean(photo.processedUrl);
  const originalNote = !photo.originalUrl
    ? photo.copyStatus === "failed"
      ? "Not copied"
      : "Copying…"
    : originalState === "failed"
      ? "Original not available"
      : originalState === "loading"
        ? "Loading…"
        : "";
  const cutoutNote = stale
    ? "Reprocessing…"
    : !cutout
      ? photo.copyStatus !== "copied"
        ? "Nothing to process"
        : job
          ? (waitingText[job.status] ?? "")
          : "Not processed yet"
      : cutoutState === "failed"
        ? "Cut-out not available"
        : cutoutState === "loading"
          ? "Loading…"
          : "";
  const shownError =
    actionError ??
    (photo.copyStatus === "failed" || photo.copyStatus === "retryable"
      ? photo.copyError
      : job && job.status !== "completed"
        ? job.lastError
        : null);
  const verb = job ? "Reprocess" : "Process";
  // "Photo n" is the photo's name on the page (its label), so the alt text names it.
  const alts = {
    original: `Photo ${n} of “${bookTitle}”, as copied from the listing`,
    cutout: `Photo ${n} of “${bookTitle}” with the background removed`,
  };

  const process = async () => {
    setSending(true);
    setActionError(await onProcess(photo));
    setSending(false);
  };

  return (
    <li class="photo" data-photo-id={photo.id} data-status={status} data-cutout={cutout && cutoutState === "loaded" ? "loaded" : undefined}>
      <div class="photo-head">
        <span class="photo-label">
          Photo {n}
          {photo.isPrimary ? (
            <>
              {" "}
              <span class="tag">primary</span>
            </>
          ) : null}
        </span>
        <span class={`badge badge-${status}`}>
          {badge}
          {busy ? <span class="spinner" /> : null}
        </span>
      </div>
      <div class="pair">
        <figure class="pane">
          <div class="frame">
            {originalSrc ? (
              <img
                src={originalSrc}
                alt={alts.original}
                hidden={originalState !== "loaded"}
                onLoad={() => setOriginalState("loaded")}
                onError={() => setOriginalState("failed")}
              />
            ) : null}
            <span class="frame-note">{originalNote}</span>
          </div>
          <figcaption>Original</figcaption>
        </figure>
        <figure class="pane">
          <div class={stale ? "frame checker stale" : "frame checker"}>
            {cutout ? (
              <img
                key={cutout.version}
                src={cutout.src}
                alt={alts.cutout}
                hidden={cutoutState !== "loaded"}
                onLoad={() => setCutoutState("loaded")}
                onError={() => setCutoutState("failed")}
              />
            ) : null}
            <span class="frame-note">{cutoutNote}</span>
          </div>
          <figcaption>Cut-out</figcaption>
        </figure>
      </div>
      <p class="photo-error" hidden={!shownError}>
        {shownError ? `Error: ${shownError}` : ""}
      </p>
      <div class="photo-actions">
        <button
          type="button"
          class="small"
          hidden={photo.copyStatus !== "copied"}
          disabled={!photo.canProcess || sending}
          aria-busy={sending ? "true" : undefined}
          aria-label={`${verb} photo ${n} of “${bookTitle}”`}
          onClick={() => void process()}
        >
          {verb}
        </button>
      </div>
    </li>
  );
}
