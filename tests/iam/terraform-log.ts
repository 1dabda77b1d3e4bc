/**
 * Reads the AWS calls out of a Terraform debug log (TF_LOG=debug, TF_LOG_PATH=…). With terraform
 * 1.11 and provider aws 5.100.0 (aws-sdk-go-v2 through aws-sdk-go-base), every request is one entry
 *
 *   <time> [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: k=v k="v" …
 *     http.request.body=
 *     | <body line>
 *      k=v …
 *
 * whose attributes (in random order, split around the body) include rpc.service ("Lambda",
 * "Secrets Manager"), rpc.method (the operation, e.g. CreateFunction), http.method, http.url and
 * tf_resource_type (tf_data_source_type for a data source's read). The body (form-encoded for the query protocols, JSON otherwise) is reduced to
 * its short scalar fields and its tags: what names the resource and what conditions see.
 */
export interface TerraformCallRecord {
  via: "terraform";
  /** rpc.service as the provider logs it ("Lambda", "API Gateway V2"). */
  service: string;
  operation: string;
  method: string;
  /** Path of http.url (REST services put the resource here), query string kept. */
  path: string;
  resourceType?: string;
  input: Record<string, string | number | boolean>;
  /** Tags the request sets (aws:RequestTag/*), when it sets any. */
  tags?: Record<string, string>;
}

const valueFields = /^(SecretString|SecretBinary|Value|Password|MasterUserPassword|ZipFile)$/i;

function attr(block: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${key.replace(/\./g, "\\.")}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`);
  const m = re.exec(block);
  if (!m) return undefined;
  return m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
}

function tagsOf(input: Record<string, unknown>): Record<string, string> | undefined {
  const raw = input.Tags ?? input.tags ?? input.TagList;
  if (Array.isArray(raw))
    return Object.fromEntries(
      raw.filter((t) => t && typeof t === "object").map((t) => [String(t.Key ?? t.key), String(t.Value ?? t.value)]),
    );
  if (raw && typeof raw === "object") return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
  return undefined;
}

function reduce(body: string): { input: Record<string, string | number | boolean>; tags?: Record<string, string> } {
  const input: Record<string, string | number | boolean> = {};
  const text = body.trim();
  if (!text) return { input };
  if (text.startsWith("{")) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The provider cuts long bodies ("[truncated...]"): keep the fields that name what is acted on.
      for (const m of text.matchAll(/"(FunctionName|Role|ImageUri|PackageType|Name)":"((?:[^"\\]|\\.){1,300})"/g)) input[m[1]] ??= m[2];
      return { input };
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (valueFields.test(k)) continue;
      if ((typeof v === "string" && v.length <= 300) || typeof v === "number" || typeof v === "boolean") input[k] = v;
      // Lists of names (repositoryNames, SubnetIds) as the query protocols spell them: k.1, k.2, …
      else if (Array.isArray(v) && v.every((x) => typeof x === "string" && x.length <= 300))
        v.forEach((x, i) => {
          input[`${k}.${i + 1}`] = x;
        });
    }
    return { input, tags: tagsOf(parsed) };
  }
  if (text.startsWith("<")) return { input };
  const form = new URLSearchParams(text);
  const tags: Record<string, string> = {};
  const tagKeys = new Map<string, string>();
  for (const [k, v] of form) {
    const tag = /^(Tags?(?:\.member)?|TagSpecification\.\d+\.Tag)\.(\d+)\.(Key|Value)$/.exec(k);
    if (tag) {
      if (tag[3] === "Key") tagKeys.set(`${tag[1]}.${tag[2]}`, v);
      else tags[`${tag[1]}.${tag[2]}`] = v;
      continue;
    }
    if (valueFields.test(k) || v.length > 300) continue;
    input[k] = v;
  }
  const named = Object.fromEntries([...tagKeys].map(([slot, key]) => [key, tags[slot] ?? ""]));
  return { input, tags: Object.keys(named).length ? named : undefined };
}

/** Every AWS request in one Terraform debug log, in order. */
export function terraformCalls(log: string): TerraformCallRecord[] {
  const calls: TerraformCallRecord[] = [];
  const entries = log.split(/\n(?=\d{4}-\d\d-\d\dT\S+ \[)/);
  for (const entry of entries) {
    if (!/^\S+ \[DEBUG\] provider\.terraform-provider-aws[^:]*: HTTP Request Sent:/.test(entry)) continue;
    const lines = entry.split("\n");
    const body = lines
      .filter((l) => /^\s*\| ?/.test(l))
      .map((l) => l.replace(/^\s*\| ?/, ""))
      .join("\n");
    const attrs = lines.filter((l) => !/^\s*\| ?/.test(l)).join(" ");
    const service = attr(attrs, "rpc.service");
    const operation = attr(attrs, "rpc.method");
    if (!service || !operation) continue;
    const url = new URL(attr(attrs, "http.url") ?? "http://localhost/");
    calls.push({
      via: "terraform",
      service,
      operation,
      method: attr(attrs, "http.method") ?? "",
      path: decodeURIComponent(url.pathname) + url.search,
      resourceType: attr(attrs, "tf_resource_type") ?? attr(attrs, "tf_data_source_type"),
      ...reduce(body),
    });
  }
  return calls;
}
