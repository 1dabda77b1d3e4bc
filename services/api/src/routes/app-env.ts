import type { OpenAPIHono } from "@hono/zod-openapi";
import type { RequestIdVariables } from "hono/request-id";

export type AppEnv = { Variables: RequestIdVariables };
export type App = OpenAPIHono<AppEnv>;
