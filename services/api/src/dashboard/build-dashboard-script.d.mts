export function buildDashboardScript(): Promise<Uint8Array>;
