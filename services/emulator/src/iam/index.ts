export { isAllowed, matchesWildcard, type PolicyStatement, type Principal } from "./policy.ts";
export { type CreatePrincipalsOptions, createPrincipals, type Principals } from "./principals.ts";
export { type SignatureErrorCode, type SignatureResult, type SignedRequest, uriEncode, verifyRequestSignature } from "./sigv4.ts";
