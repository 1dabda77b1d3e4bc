/** S3's XML error shape and its common errors. */
import { AwsServiceError } from "../errors.ts";
import type { HttpReply } from "../http-reply.ts";
import { escapeXml } from "../xml.ts";

export function s3Error(code: string, message: string, status: number, fields: Record<string, string> = {}): AwsServiceError {
  return new AwsServiceError(code, message, status, { fields });
}

export const noSuchBucket = (bucket: string) => s3Error("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket });
export const noSuchKey = (key: string) => s3Error("NoSuchKey", "The specified key does not exist.", 404, { Key: key });
export const noSuchUpload = (uploadId: string) =>
  s3Error(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    404,
    {
      UploadId: uploadId,
    },
  );
export const invalidArgument = (message: string, name?: string, value?: string) =>
  s3Error("InvalidArgument", message, 400, name ? { ArgumentName: name, ArgumentValue: value ?? "" } : {});

export function s3ErrorReply(error: AwsServiceError, requestId: string, head: boolean): HttpReply {
  const fields = Object.entries(error.details.fields ?? {})
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join("");
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${fields}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
  const headers: Record<string, string | number> = { "content-type": "application/xml", ...error.details.headers };
  // HEAD replies carry no body; clients read the status code only.
  if (head) return { status: error.status, headers: { ...headers, "content-length": 0 } };
  return { status: error.status, headers, body };
}
