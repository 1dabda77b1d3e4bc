/**
 * fetch against the API with the key from sessionStorage (per tab, gone when the tab closes:
 * /docs and any other page on this origin cannot read it from another tab later). Failures
 * reject with an `ApiError` carrying the problem+json detail; a 401 also tells `onUnauthorized`.
 */

const keyName = "bluemoxon.apiKey";

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** sessionStorage can be unavailable (privacy modes); the key then lasts for this page only. */
export function createKeyStore(storage: () => Storage = () => sessionStorage) {
  let memory: string | null = null;
  return {
    get(): string | null {
      try {
        return storage().getItem(keyName);
      } catch {
        return memory;
      }
    },
    set(key: string | null): void {
      memory = key;
      try {
        if (key === null) storage().removeItem(keyName);
        else storage().setItem(keyName, key);
      } catch {
        // memory only
      }
    },
  };
}

interface Problem {
  detail?: string;
  title?: string;
  errors?: { path: string; message: string }[];
}

export interface ApiClient {
  request<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
}

export function createApiClient({
  key,
  onUnauthorized,
}: {
  key: () => string | null;
  onUnauthorized: (detail: string) => void;
}): ApiClient {
  return {
    async request<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json, application/problem+json", "x-api-key": key() ?? "" };
      if (init.body !== undefined) headers["content-type"] = "application/json";
      let res: Response;
      try {
        res = await fetch(path, {
          method: init.method ?? "GET",
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          cache: "no-store",
        });
      } catch {
        throw new ApiError(0, "the API cannot be reached");
      }
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: fall back to the status line below
      }
      if (!res.ok) {
        let message = `${res.status} ${res.statusText}`.trim();
        if (body && typeof body === "object") {
          const p = body as Problem;
          message = p.detail || p.title || message;
          if (Array.isArray(p.errors) && p.errors.length > 0) message += ` (${p.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})`;
        }
        if (res.status === 401) onUnauthorized(message);
        throw new ApiError(res.status, message);
      }
      return body as T;
    },
  };
}

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
export const isUnauthorized = (error: unknown) => error instanceof ApiError && error.status === 401;
