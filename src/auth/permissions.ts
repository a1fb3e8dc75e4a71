// The permissions a principal can hold; each is checked where it is named. The configuration is
// checked against this list, so a misspelt permission stops the server instead of granting nothing.
export const PERMISSIONS = [
  "*",
  "admin",
  "events:emit",
  "registry:write",
  "migrate",
  "scripts:delete",
  "tools:http",
  "tools:fs",
  "profile",
] as const;
