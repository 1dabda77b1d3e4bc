/**
 * Objects built from wire input. A key from a request never becomes a property of a plain
 * object, where `__proto__` is the prototype's setter and `constructor` an inherited function
 * (one form parameter `__proto__.admin=1` once set `Object.prototype.admin` and turned IAM off).
 * A wire record inherits from one frozen object with no string keys at all, so every key,
 * `__proto__` included, is plain data; its only member is `Symbol.toPrimitive` (a key no wire
 * format can spell), so a stray `String(record)` reads "[object Object]" as a plain object's
 * would, instead of throwing as a null-prototype object does.
 */
const inert: object = Object.freeze(Object.create(null, { [Symbol.toPrimitive]: { value: () => "[object Object]" } }));

/** Path segments the query protocol refuses: they name prototypes, never parameters. */
export const prototypeKeys: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * An empty record for keys that come from a request.
 * @example
 * const tags = wireRecord<string>();
 * tags[key] = value; // key "__proto__" is stored as data
 */
export function wireRecord<T = unknown>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const record = Object.create(inert) as Record<string, T>;
  if (entries) for (const [k, v] of entries) record[k] = v;
  return record;
}

/**
 * `JSON.parse`, with every object a wire record and members whose value is `null` left out, as
 * AWS's JSON protocols read them (a `null` list element stays, for the shape check to refuse).
 */
export function parseWireJson(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key, value: unknown) {
    if (value === null) return Array.isArray(this) ? null : undefined;
    return typeof value === "object" && !Array.isArray(value) ? Object.setPrototypeOf(value, inert) : value;
  });
}
