// checkpoint-relay's Cloudflare Email Worker: Email Routing hands it each
// mail sent to the routed address; it posts the raw message and its SMTP
// envelope to the relay forwarder's webhook, signed with the forwarder's
// secret in the relay's HMAC scheme:
//
//   X-Relay-Timestamp: <unix seconds>
//   X-Relay-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   body: {"envelope_from", "envelope_to", "raw": "<base64 of the message>"}
//
// Secrets (npx wrangler secret put): RELAY_WEBHOOK_URL (the forwarder's
// webhook_url) and RELAY_FORWARDER_SECRET (its secret).

const encoder = new TextEncoder();

// sign returns the two headers for body (a string) at unix seconds ts.
export async function sign(secret, ts, body) {
  const key = await crypto.subtle.importKey(
    "raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${ts}.${body}`));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { "X-Relay-Timestamp": String(ts), "X-Relay-Signature": `v1=${hex}` };
}

// base64 encodes bytes without building one huge argument list.
export function base64(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

// deliver posts one mail; it answers the relay's response.
export async function deliver(message, env, { fetchFn = fetch, now = () => Date.now() } = {}) {
  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  const body = JSON.stringify({ envelope_from: message.from, envelope_to: message.to, raw: base64(raw) });
  const headers = await sign(env.RELAY_FORWARDER_SECRET, Math.floor(now() / 1000), body);
  return fetchFn(env.RELAY_WEBHOOK_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
}

export default {
  async email(message, env) {
    const resp = await deliver(message, env);
    if (resp.ok) return;
    // A refusal the relay will never change its mind about (a wrong
    // secret, a malformed mail) bounces; anything else is thrown, so Email
    // Routing reports a temporary failure and the sender retries.
    if (resp.status >= 400 && resp.status < 500 && resp.status !== 429) {
      message.setReject(`checkpoint-relay refused the mail (${resp.status})`);
      return;
    }
    throw new Error(`checkpoint-relay answered ${resp.status}`);
  },
};
