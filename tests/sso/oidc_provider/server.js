// A real OpenID provider for Makker's tests: panva's certified oidc-provider with its development
// interactions (a login form that takes any name, then a consent page). Started by tests/sso/conftest.py:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS, POST_LOGOUT_REDIRECT_URIS (comma-separated),
//   ACCOUNTS_FILE: JSON {"<login>": {claims...}}, read again at every sign-in, so a test can change a
//   person's groups between two sign-ins.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const port = Number(process.env.PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const list = (name) => (process.env[name] || "").split(",").filter(Boolean);

function accounts() {
  return JSON.parse(readFileSync(process.env.ACCOUNTS_FILE, "utf8"));
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: list("REDIRECT_URIS"),
    post_logout_redirect_uris: list("POST_LOGOUT_REDIRECT_URIS"),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username", "groups", "department", "phone_number"],
    email: ["email"],
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ["makker-test-cookie-key"] },
  async findAccount(ctx, id) {
    const person = accounts()[id];
    if (!person) { return undefined; }
    return { accountId: id, async claims() { return { sub: id, ...person }; } };
  },
});
provider.on("server_error", (ctx, err) => console.error("server_error", err));
// The tests run on plain http on loopback.
provider.proxy = true;
const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
