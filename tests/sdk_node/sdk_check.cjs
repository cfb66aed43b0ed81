// Drives the checkoutkit sandbox with the official stripe-node SDK and prints what it saw.
//
// Usage: node sdk_check.cjs <scenario> '<input JSON>'
// Environment: SANDBOX_URL (the sandbox's base URL), NODE_PATH (the node_modules holding stripe).
//
// Each scenario prints one JSON object on stdout: raw observations (IDs, fields, error classes),
// never verdicts. test_node_sdk.py decides what they must be and compares them with what the
// Python SDK reads from the same sandbox.
'use strict';

const http = require('node:http');
const Stripe = require('stripe');

const SANDBOX = process.env.SANDBOX_URL ? new URL(process.env.SANDBOX_URL) : null;
const API_KEY = 'sk_test_checkoutkit_node';

function client(options = {}) {
  return new Stripe(options.apiKey || API_KEY, {
    host: options.host || SANDBOX.hostname,
    port: options.port || SANDBOX.port,
    protocol: 'http',
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
    telemetry: false,
  });
}

function describeError(err) {
  return {
    class: err.constructor.name,
    isInvalidRequestError: err instanceof Stripe.errors.StripeInvalidRequestError,
    isStripeError: err instanceof Stripe.errors.StripeError,
    type: err.type,
    rawType: err.rawType ?? null,
    code: err.code ?? null,
    param: err.param ?? null,
    statusCode: err.statusCode ?? null,
    message: err.message,
    requestId: err.requestId ?? null,
  };
}

async function caught(promise) {
  try {
    await promise;
  } catch (err) {
    return describeError(err);
  }
  return null;
}

function sessionParams(priceId, quantity, extra = {}) {
  return {
    mode: 'payment',
    line_items: [{ price: priceId, quantity }],
    success_url: 'https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://shop.example/cart',
    ...extra,
  };
}

function sessionFields(s) {
  return {
    id: s.id,
    object: s.object,
    amount_total: s.amount_total,
    currency: s.currency,
    status: s.status,
    payment_status: s.payment_status,
    url: s.url,
    created: s.created,
    expires_at: s.expires_at,
    metadata: s.metadata,
  };
}

async function newPrice(stripe, input) {
  return stripe.prices.create({
    currency: input.currency,
    unit_amount: input.unit_amount,
    product_data: { name: 'Node SDK check' },
  });
}

// POST a form to a /_sandbox control (plain HTTP: these are the sandbox's test controls, not API).
async function control(path, fields) {
  const response = await fetch(new URL(path, SANDBOX), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: await response.json() };
}

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// --- scenarios -------------------------------------------------------------------------------

async function version() {
  return { sdk_version: Stripe.PACKAGE_VERSION, api_version: Stripe.API_VERSION };
}

async function sessions(input) {
  const stripe = client();
  const price = await newPrice(stripe, input);
  const created = [];
  for (let i = 0; i < input.count; i += 1) {
    const s = await stripe.checkout.sessions.create(
      sessionParams(price.id, input.quantity, { metadata: { n: String(i) } }),
    );
    created.push(sessionFields(s));
  }
  const retrieved = await stripe.checkout.sessions.retrieve(created[0].id, {
    expand: ['line_items'],
  });
  const all = stripe.checkout.sessions.list({ limit: input.page_size });
  const autopaged = (await all.autoPagingToArray({ limit: 1000 })).map((s) => s.id);
  const pages = [];
  let params = { limit: input.page_size };
  for (;;) {
    const page = await stripe.checkout.sessions.list(params);
    pages.push({ ids: page.data.map((s) => s.id), has_more: page.has_more, url: page.url });
    if (!page.has_more || pages.length > input.count) break;
    params = { limit: input.page_size, starting_after: page.data[page.data.length - 1].id };
  }
  const oldest = created[0].id;
  const before = await stripe.checkout.sessions.list({
    limit: input.page_size,
    ending_before: oldest,
  });
  return {
    price_id: price.id,
    created,
    retrieved: {
      ...sessionFields(retrieved),
      line_items: retrieved.line_items.data.map((item) => ({
        price: item.price.id,
        quantity: item.quantity,
        amount_total: item.amount_total,
      })),
    },
    autopaged,
    pages,
    ending_before_oldest: before.data.map((s) => s.id),
  };
}

async function errors(input) {
  const stripe = client();
  const price = await newPrice(stripe, input);
  return {
    invalid_integer: await caught(
      stripe.prices.create({
        currency: input.currency,
        unit_amount: 'twelve',
        product_data: { name: 'Bad amount' },
      }),
    ),
    unknown_parameter: await caught(
      stripe.checkout.sessions.create(
        sessionParams(price.id, 1, { [input.unknown_parameter]: 'x' }),
      ),
    ),
    unknown_price_parameter: await caught(
      stripe.prices.create({
        currency: input.currency,
        unit_amount: input.unit_amount,
        product_data: { name: 'Unknown parameter' },
        [input.unknown_parameter]: 'x',
      }),
    ),
    missing_session: await caught(stripe.checkout.sessions.retrieve(input.missing_id)),
    bad_key: await caught(client({ apiKey: input.bad_key }).checkout.sessions.list()),
    live_key: await caught(client({ apiKey: input.live_key }).checkout.sessions.list()),
  };
}

async function idempotency(input) {
  const stripe = client();
  const price = await newPrice(stripe, input);
  const params = sessionParams(price.id, input.quantity);
  const key = input.idempotency_key;
  const first = await stripe.checkout.sessions.create(params, { idempotencyKey: key });
  const again = await stripe.checkout.sessions.create(params, { idempotencyKey: key });
  const conflict = await caught(
    stripe.checkout.sessions.create(sessionParams(price.id, input.quantity + 1), {
      idempotencyKey: key,
    }),
  );

  // A proxy that lets the first session create reach the sandbox, then drops the connection
  // before the answer gets back: the SDK retries on its own, with the key it generated.
  const seen = [];
  const proxy = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const upstream = http.request(
      {
        host: SANDBOX.hostname,
        port: SANDBOX.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      async (answer) => {
        const text = (await readBody(answer)).toString('utf8');
        const isCreate = req.method === 'POST' && req.url === '/v1/checkout/sessions';
        const record = {
          method: req.method,
          path: req.url,
          idempotency_key: req.headers['idempotency-key'] ?? null,
          status: answer.statusCode,
          replayed: answer.headers['idempotent-replayed'] ?? null,
          session_id: isCreate && answer.statusCode === 200 ? JSON.parse(text).id : null,
          dropped: false,
        };
        seen.push(record);
        if (isCreate && seen.filter((r) => r.path === req.url).length === 1) {
          record.dropped = true;
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.statusCode, answer.headers);
        res.end(text);
      },
    );
    upstream.end(body);
  });
  const port = await listen(proxy);
  const retrying = client({ host: '127.0.0.1', port, maxNetworkRetries: 2 });
  const retried = await retrying.checkout.sessions.create(params);
  proxy.close();
  return {
    first: { id: first.id, replayed: first.lastResponse.headers['idempotent-replayed'] ?? null },
    again: {
      id: again.id,
      replayed: again.lastResponse.headers['idempotent-replayed'] ?? null,
      idempotency_key: again.lastResponse.idempotencyKey ?? null,
    },
    conflict,
    retried: { id: retried.id, idempotency_key: retried.lastResponse.idempotencyKey ?? null },
    proxied: seen,
  };
}

async function webhook(input) {
  const stripe = client();
  const deliveries = [];
  let notify = () => {};
  const receiver = http.createServer(async (req, res) => {
    const body = await readBody(req);
    deliveries.push({ body, signature: req.headers['stripe-signature'] ?? '' });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
    notify();
  });
  const port = await listen(receiver);
  const endpoint = await control('/_sandbox/webhook_endpoints', {
    url: `http://127.0.0.1:${port}/stripe/webhook`,
  });

  const price = await newPrice(stripe, input);
  const session = await stripe.checkout.sessions.create(sessionParams(price.id, input.quantity));
  const paid = await control(`/_sandbox/sessions/${session.id}/pay`, { card: input.card });

  // Verify every delivery with the SDK's own verifier until the completion event is among them.
  const events = [];
  let completed = null;
  const deadline = Date.now() + input.wait_seconds * 1000;
  while (completed === null && Date.now() < deadline) {
    while (events.length < deliveries.length) {
      const { body, signature } = deliveries[events.length];
      const event = stripe.webhooks.constructEvent(body, signature, input.secret);
      events.push({ id: event.id, type: event.type, object_id: event.data.object.id });
      if (event.type === 'checkout.session.completed' && event.data.object.id === session.id) {
        completed = { event, body, signature };
      }
    }
    if (completed === null) {
      await new Promise((resolve) => {
        notify = resolve;
        setTimeout(resolve, 200);
      });
    }
  }
  receiver.close();
  if (completed === null) {
    return { session_id: session.id, pay: paid, events, completed: null };
  }
  const { event, body, signature } = completed;
  const tampered = Buffer.from(
    body.toString('utf8').replace(`"${session.id}"`, `"${session.id}x"`),
    'utf8',
  );
  const tryVerify = (payload, header, secret) => {
    try {
      stripe.webhooks.constructEvent(payload, header, secret);
      return null;
    } catch (err) {
      return describeError(err);
    }
  };
  const fetched = await stripe.events.retrieve(event.id);
  const after = await stripe.checkout.sessions.retrieve(session.id);
  return {
    session_id: session.id,
    endpoint_secret: endpoint.body.secret ?? null,
    pay: { status: paid.status, outcome: paid.body.status },
    events,
    completed: {
      id: event.id,
      type: event.type,
      api_version: event.api_version,
      session: sessionFields(event.data.object),
    },
    tampered: tryVerify(tampered, signature, input.secret),
    wrong_secret: tryVerify(body, signature, input.wrong_secret),
    fetched_event: { id: fetched.id, type: fetched.type },
    after: sessionFields(after),
  };
}

const SCENARIOS = { version, sessions, errors, idempotency, webhook };

async function main() {
  const [name, raw] = process.argv.slice(2);
  const scenario = SCENARIOS[name];
  if (!scenario) {
    throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
  }
  const result = await scenario(JSON.parse(raw || '{}'));
  // Exit explicitly: the SDK's keep-alive agent would hold the event loop open.
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err.raw ?? null)}\n`, () =>
    process.exit(1),
  );
});
