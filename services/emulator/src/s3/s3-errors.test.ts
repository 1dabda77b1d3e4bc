import { describe, expect, it } from "vitest";
import { noSuchKey, s3Error, s3ErrorReply } from "./s3-errors.ts";

describe("s3ErrorReply", () => {
  it("renders AWS's XML error shape with the status and extra fields", () => {
    const reply = s3ErrorReply(noSuchKey("a/<b>.png"), "req-1", false);
    expect(reply.status).toBe(404);
    expect(reply.headers?.["content-type"]).toBe("application/xml");
    expect(String(reply.body)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>' +
        "<Key>a/&lt;b&gt;.png</Key><RequestId>req-1</RequestId><HostId>req-1</HostId></Error>",
    );
  });

  it("sends no body for HEAD requests", () => {
    const reply = s3ErrorReply(s3Error("InvalidRange", "The requested range is not satisfiable", 416), "r", true);
    expect(reply.status).toBe(416);
    expect(reply.body).toBeUndefined();
  });
});
