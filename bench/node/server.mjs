// node-oidc-provider reference server for bench/run.sh: one process, the package's in-memory
// adapter (unbounded store), RS256 keys generated at start. Usage: node server.mjs <port> <tokens-file>
// Clients: bench-service (client_credentials, introspection) and bench-web (refresh_token).
// <tokens-file>: N refresh tokens minted at start (one per line), for the rotation scenario.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
// The package's own in-memory adapter, with room for every token of a run: its default store
// keeps only 1000 entries, so a burst of opaque client_credentials tokens would evict the
// refresh tokens and grants of the rotation scenario.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const store = new LRU({ maxSize: 50_000_000 });

const port = Number(process.argv[2] ?? 3000);
const tokensFile = process.argv[3];
const refreshCount = Number(process.env.BENCH_REFRESH_TOKENS ?? 20000);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-service', client_secret: 'bench-service-secret',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: 'frmr',
    },
    {
      client_id: 'bench-web', client_secret: 'bench-web-secret',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:9999/callback'],
    },
  ],
  adapter: (model) => new MemoryAdapter(model, store),
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'frmr'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    // client_credentials with resource=urn:bench:api gives a JWT (RS256) access token, like frmr-sso;
    // without it the token is opaque (stored in the adapter), which introspection reads.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: () => ({ scope: 'frmr', audience: 'urn:bench:api', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  rotateRefreshToken: true,
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  ttl: { IdToken: 3600, AccessToken: 300, ClientCredentials: 300, RefreshToken: 30 * 86400, Grant: 30 * 86400 },
});
provider.proxy = false;
if (process.env.BENCH_DEBUG) provider.on('grant.error', (ctx, err) => console.error('grant.error', err.error_description));

async function mintRefreshTokens(n) {
  const client = await provider.Client.find('bench-web');
  const lines = [];
  for (let i = 0; i < n; i += 1) {
    const grant = new provider.Grant({ accountId: `subject-${i}`, clientId: 'bench-web' });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId: `subject-${i}`, client, grantId, scope: 'openid offline_access', gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000), rotations: 0, iiat: Math.floor(Date.now() / 1000),
    });
    lines.push(await rt.save());
  }
  return lines;
}

provider.listen(port, '127.0.0.1', async () => {
  if (tokensFile) writeFileSync(tokensFile, (await mintRefreshTokens(refreshCount)).join('\n') + '\n');
  console.log(`node-oidc-provider ready on ${issuer}`);
});
