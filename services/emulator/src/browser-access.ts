/**
 * What a web page may do with the emulator: what AWS lets it do, and never more — even with IAM
 * off, where no signature stands in the way. A page can send a "simple" request (a form POST, a
 * `text/plain` fetch, an `<img>` GET) to 127.0.0.1 without a preflight, so the emulator refuses
 * rather than relying on the browser to hide the answer:
 * - a request carrying an `Origin` goes to the service's CORS: S3 evaluates the bucket's CORS
 *   configuration (preflight and actual request); SQS and Secrets Manager have none and refuse;
 * - a request a browser marks as sent by a page (`Sec-Fetch-Site` other than `none`) without an
 *   `Origin` is a navigation or a no-cors GET/HEAD (an `<img>`): S3 may answer it (the dashboard's
 *   presigned photos load this way), SQS and Secrets Manager refuse it (`<img src="/?Action=DeleteQueue…">`);
 * - an `OPTIONS` that is not a preflight is S3's 400;
 * - SQS and Secrets Manager answer a GET or HEAD only when it is signed in an `Authorization`
 *   header, IAM on or off: a page cannot add that header without a preflight (refused above), so an
 *   older browser's `<img>` GET, which carries neither `Origin` nor `Sec-Fetch-Site`, is refused
 *   too, and so is a forged query-string signature, which nobody checks with IAM off. SDKs and the
 *   CLI POST to these services; every browser since 2019 sends `Origin` with a POST.
 * Stricter than AWS in one respect: S3 answers an actual request its CORS does not allow (the
 * browser then hides the reply), the emulator refuses it, since with IAM off nothing else would.
 */
import type { EmulatedService } from "./emulated-service.ts";
import { AwsServiceError } from "./errors.ts";
import type { EmulatorRequest } from "./http-reply.ts";

const safeMethods = new Set(["GET", "HEAD"]);

/** The CORS headers to add to the answer, undefined for a request no page sent; throws the service's refusal. */
export async function browserAccess(req: EmulatorRequest, service: EmulatedService): Promise<Record<string, string> | undefined> {
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  const fromPage = site !== undefined && site !== "none";
  if (req.method === "OPTIONS" && (origin === undefined || req.headers["access-control-request-method"] === undefined)) {
    throw new AwsServiceError("BadRequest", "Insufficient information. Origin request header needed.", 400);
  }
  if (origin === undefined) {
    if (fromPage && !(service.crossOrigin && safeMethods.has(req.method))) {
      throw service.errors.accessDenied(`${service.name} does not answer requests sent by web pages.`);
    }
    if (!service.crossOrigin && safeMethods.has(req.method) && !req.headers.authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
      throw service.errors.signature(
        "MissingAuthenticationToken",
        `${service.name} answers a ${req.method} only when it is signed with SigV4 in an Authorization header, IAM on or off.`,
      );
    }
    return undefined;
  }
  if (!service.crossOrigin) throw service.errors.accessDenied(`${service.name} does not answer cross-origin requests (it has no CORS).`);
  const answer = await service.crossOrigin(req, req.method === "OPTIONS");
  if (answer instanceof AwsServiceError) throw answer;
  return answer;
}
