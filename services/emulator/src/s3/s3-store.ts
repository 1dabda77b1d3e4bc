/**
 * Buckets and objects. Without a data directory bodies stay in memory; with one, each body is
 * its own file (written atomically before the metadata snapshot that refers to it), and a
 * replaced body's file is removed only after a snapshot without it is on disk.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceState } from "../emulated-service.ts";
import { atomicWrite } from "../persistence/atomic-write.ts";
import type { ChecksumAlgorithm } from "./checksums.ts";

export interface ObjectMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  metadata: Record<string, string>;
}

export interface S3Object extends ObjectMeta {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  partsCount?: number;
  /** File name under `<dataDir>/s3/bodies` (persistent mode). */
  file?: string;
  /** In-memory body (memory mode). */
  body?: Buffer;
}

export interface UploadPart {
  number: number;
  etag: string;
  size: number;
  lastModified: number;
  checksum?: string;
  body: Buffer;
}

export interface MultipartUpload {
  id: string;
  key: string;
  initiated: number;
  meta: ObjectMeta;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  parts: Map<number, UploadPart>;
}

export interface Bucket {
  name: string;
  createdAt: number;
  objects: Map<string, S3Object>;
  uploads: Map<string, MultipartUpload>;
  sortedKeys?: string[];
  /** Bucket sub-resources set by Put* calls (`policy`, `tagging`, …): the document as sent. */
  config: Record<string, string>;
}

export interface BucketSnapshot {
  name: string;
  createdAt: number;
  objects: Omit<S3Object, "body">[];
  config?: Record<string, string>;
}

export class S3Store implements ServiceState<BucketSnapshot[]> {
  readonly file = "s3.json";
  readonly buckets = new Map<string, Bucket>();
  private readonly bodiesDir: string | undefined;
  private orphanFiles: string[] = [];

  constructor(
    dataDir: string | undefined,
    private readonly onChange: (afterWrite?: () => void) => void = () => undefined,
  ) {
    if (dataDir) {
      this.bodiesDir = join(dataDir, "s3-bodies");
      mkdirSync(this.bodiesDir, { recursive: true });
    }
  }

  sortedKeys(bucket: Bucket): string[] {
    bucket.sortedKeys ??= [...bucket.objects.keys()].sort();
    return bucket.sortedKeys;
  }

  createBucket(name: string): Bucket {
    const bucket: Bucket = { name, createdAt: Date.now(), objects: new Map(), uploads: new Map(), config: {} };
    this.buckets.set(name, bucket);
    this.onChange();
    return bucket;
  }

  /** Sets (a document) or removes (undefined) one sub-resource of a bucket. */
  setConfig(bucket: Bucket, name: string, document: string | undefined): void {
    if (document === undefined) delete bucket.config[name];
    else bucket.config[name] = document;
    this.onChange();
  }

  deleteBucket(name: string): void {
    this.buckets.delete(name);
    this.onChange();
  }

  async body(obj: S3Object): Promise<Buffer> {
    if (obj.body) return obj.body;
    if (obj.file && this.bodiesDir) return readFile(join(this.bodiesDir, obj.file));
    return Buffer.alloc(0);
  }

  async putObject(bucket: Bucket, obj: Omit<S3Object, "file" | "body">, body: Buffer): Promise<S3Object> {
    const stored: S3Object = { ...obj };
    if (this.bodiesDir) {
      stored.file = randomUUID();
      await atomicWrite(join(this.bodiesDir, stored.file), body);
    } else {
      stored.body = body;
    }
    const previous = bucket.objects.get(obj.key);
    if (!previous) bucket.sortedKeys = undefined;
    bucket.objects.set(obj.key, stored);
    this.changed(previous?.file);
    return stored;
  }

  deleteObject(bucket: Bucket, key: string): boolean {
    const previous = bucket.objects.get(key);
    if (!previous) return false;
    bucket.objects.delete(key);
    bucket.sortedKeys = undefined;
    this.changed(previous.file);
    return true;
  }

  private changed(oldFile: string | undefined): void {
    if (!oldFile || !this.bodiesDir) {
      this.onChange();
      return;
    }
    const dir = this.bodiesDir;
    this.orphanFiles.push(oldFile);
    this.onChange(() => {
      const files = this.orphanFiles;
      this.orphanFiles = [];
      for (const f of files) void unlink(join(dir, f)).catch(() => undefined);
    });
  }

  snapshot(): BucketSnapshot[] {
    return [...this.buckets.values()].map((b) => ({
      name: b.name,
      createdAt: b.createdAt,
      objects: [...b.objects.values()].map(({ body: _b, ...o }) => o),
      config: b.config,
    }));
  }

  restore(buckets: BucketSnapshot[]): void {
    for (const b of buckets) {
      this.buckets.set(b.name, {
        name: b.name,
        createdAt: b.createdAt,
        objects: new Map(b.objects.map((o) => [o.key, o])),
        uploads: new Map(),
        config: b.config ?? {},
      });
    }
  }
}
