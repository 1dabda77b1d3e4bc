/** The dashboard bundle's entry: renders the app into the page shell's `#root`. */
import { render } from "hono/jsx/dom";
import { DashboardApp } from "./dashboard-app.tsx";

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from the page");
render(<DashboardApp icon={root.dataset.icon ?? ""} />, root);
