// The Worker's signing, checked against test/vector.json, the same vector
// internal/inbound verifies with the relay's Go parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import worker, { deliver, sign } from "../worker.js";

const vector = JSON.parse(readFileSync(new URL("./vector.json", import.meta.url)));

function message(raw) {
  const rejected = [];
  return {
    from: vector.envelope_from, to: vector.envelope_to,
    raw: new Response(raw).body, rawSize: raw.length,
    setReject: (r) => rejected.push(r), rejected,
  };
}

test("sign is HMAC-SHA256 over timestamp.body, hex, v1=", async () => {
  const h = await sign(vector.secret, vector.timestamp, vector.body);
  const want = createHmac("sha256", vector.secret).update(`${vector.timestamp}.${vector.body}`).digest("hex");
  assert.equal(h["X-Relay-Timestamp"], String(vector.timestamp));
  assert.equal(h["X-Relay-Signature"], `v1=${want}`);
  assert.equal(h["X-Relay-Signature"], vector.signature);
});

test("deliver posts the raw mail and its envelope, signed", async () => {
  let sent;
  const env = { RELAY_WEBHOOK_URL: "https://relay.example.com/v1/forwarders/fw_x/webhook", RELAY_FORWARDER_SECRET: vector.secret };
  await deliver(message(vector.raw), env, {
    now: () => vector.timestamp * 1000,
    fetchFn: async (url, init) => { sent = { url, init }; return new Response("{}", { status: 200 }); },
  });
  assert.equal(sent.url, env.RELAY_WEBHOOK_URL);
  assert.equal(sent.init.body, vector.body);
  assert.equal(sent.init.headers["X-Relay-Signature"], vector.signature);
  const body = JSON.parse(sent.init.body);
  assert.equal(Buffer.from(body.raw, "base64").toString(), vector.raw);
});

test("a refusal bounces, a failure is retried", async () => {
  const env = { RELAY_WEBHOOK_URL: "https://relay.example.com/x", RELAY_FORWARDER_SECRET: "s" };
  const realFetch = globalThis.fetch;
  try {
    globalThis.fetch = async () => new Response("", { status: 401 });
    const m = message(vector.raw);
    await worker.email(m, env);
    assert.equal(m.rejected.length, 1);
    globalThis.fetch = async () => new Response("", { status: 500 });
    await assert.rejects(worker.email(message(vector.raw), env));
  } finally {
    globalThis.fetch = realFetch;
  }
});
