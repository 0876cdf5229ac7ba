// A small peerspace client in JavaScript, written from docs/protocol.md alone: it logs in over HTTP, connects
// Socket.IO with the msgpack parser, joins a room, walks, chats, and exits 0 when all of that worked.
//
//   npm ci
//   PEERSPACE_PASSWORD=... node client.mjs --server http://127.0.0.1:8642 --user Ana --room cafe [--polling]
//
// --polling keeps to HTTP long-polling (as some networks allow nothing else). With PEERSPACE_TOKEN set it skips
// the login and uses that token; a refused one ends with exit code 3 and the refusal's code printed. --json
// connects with socket.io-client's default JSON parser, to see how the server refuses that (code `protocol`).
// Exit codes: 0 done, 1 a step failed, 2 timed out, 3 the connection was refused.
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";

const STEP_TIMEOUT_MS = 5000;

function options(argv) {
  const opts = { server: "http://127.0.0.1:8642", room: "cafe", polling: false, json: false, say: "Hello from JavaScript" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--polling") opts.polling = true;
    else if (arg === "--json") opts.json = true;
    else if (["--server", "--user", "--room", "--say"].includes(arg)) opts[arg.slice(2)] = argv[++i];
    else if (arg === "--help") {
      console.log("usage: PEERSPACE_PASSWORD=... node client.mjs --server URL --user NAME [--room ID] [--say TEXT] [--polling] [--json]");
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

async function login(server, name, password) {
  const resp = await fetch(`${server}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, password }),
  });
  const body = await resp.json();
  if (!body.ok) throw new Error(`login refused: ${body.error.code}: ${body.error.message}`);
  return body.token;
}

// A pose blob: 8 bytes per avatar, little-endian: id uint16, x int16 cm, y int16 cm, yaw uint8, flags uint8.
function decodePoses(blob) {
  const bytes = blob instanceof Uint8Array ? blob : new Uint8Array(blob);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const poses = new Map();
  for (let at = 0; at + 8 <= bytes.byteLength; at += 8) {
    poses.set(view.getUint16(at, true), {
      x: view.getInt16(at + 2, true) / 100,
      y: view.getInt16(at + 4, true) / 100,
      yaw: (view.getUint8(at + 6) * 360) / 256,
      flags: view.getUint8(at + 7),
    });
  }
  return poses;
}

// Resolves with the first `event` payload for which `test` holds.
function next(socket, event, test = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${STEP_TIMEOUT_MS} ms`));
    }, STEP_TIMEOUT_MS);
    const on = (data) => {
      if (!test(data)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(data);
    };
    socket.on(event, on);
  });
}

// An intent with its ack: {ok: true, ...} or a refusal {ok: false, error: {code, message}}.
async function call(socket, event, payload = {}) {
  return socket.timeout(STEP_TIMEOUT_MS).emitWithAck(event, payload);
}

async function must(socket, event, payload) {
  const ack = await call(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code}: ${ack.error.message}`);
  return ack;
}

function connect(server, token, polling, json) {
  const socket = io(server, {
    auth: { token },
    ...(json ? {} : { parser: msgpackParser }),
    transports: polling ? ["polling"] : ["polling", "websocket"],
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      // err.message is for people; err.data is the server's {code, message}
      const refusal = new Error(err.message);
      refusal.code = err.data?.code;
      socket.close();
      reject(refusal);
    });
  });
}

async function main() {
  const opts = options(process.argv.slice(2));
  const token = process.env.PEERSPACE_TOKEN || (await login(opts.server, opts.user, process.env.PEERSPACE_PASSWORD));
  let socket;
  try {
    socket = await connect(opts.server, token, opts.polling, opts.json);
  } catch (err) {
    console.log(`refused: ${err.code}: ${err.message}`);
    return 3;
  }
  try {
    const errors = [];
    socket.on("error", (e) => errors.push(e));
    const welcome = await must(socket, "hello", { protocol: 2 });
    console.log(`hello: ${welcome.user.name} (${welcome.user.role}), resumed ${welcome.resumed}`);

    const stateArrives = next(socket, "room_state");
    const joined = await must(socket, "join", { room: opts.room });
    const state = await stateArrives;
    const me = joined.you;
    const start = decodePoses(state.poses).get(me);
    console.log(`joined ${joined.room.name} as avatar ${me} with ${state.members.length} member(s), at ${start.x}, ${start.y}`);

    // walk: held axes; the server integrates them each tick and sends `snap` pose deltas
    const walked = next(socket, "snap", ([, poses]) => {
      const pose = decodePoses(poses).get(me);
      return pose !== undefined && Math.hypot(pose.x - start.x, pose.y - start.y) > 0.2;
    });
    await must(socket, "move", { forward: 1 });
    const [, poses] = await walked;
    await must(socket, "move", { forward: 0 });
    const pose = decodePoses(poses).get(me);
    console.log(`walked to ${pose.x.toFixed(2)}, ${pose.y.toFixed(2)}`);

    const heard = next(socket, "said", (line) => line.avatar === me && line.text === opts.say);
    await must(socket, "say", { text: opts.say });
    await heard;
    console.log(`said: ${opts.say}`);

    // every refusal is acked, an oversized message too, with a stable code
    const tooLarge = await call(socket, "say", { text: "x".repeat(20 * 1024) });
    if (tooLarge.ok || tooLarge.error.code !== "too_large") throw new Error("an oversized message was not refused");
    console.log(`refused as expected: ${tooLarge.error.code}`);

    await must(socket, "leave");
    console.log(`done on ${socket.io.engine.transport.name}; error events: ${errors.map((e) => `${e.code}/${e.event}`).join(", ")}`);
    return 0;
  } finally {
    socket.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`failed: ${err.message}`);
    process.exit(/within \d+ ms/.test(err.message) ? 2 : 1);
  },
);
