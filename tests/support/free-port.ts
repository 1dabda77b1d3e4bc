/** The one `freePort` lives with the scripts (npm start needs it too); tests import it from here. */
export { freePort } from "../../scripts/lib/free-port.ts";
