// One load generator for both servers (bench/vs_peer.py): the same bots, the same workload, the same marker.
//
// Each bot sends held input as bench/lean.py's bots do (--input-hz changes a second, in 10 slices of the
// period: `move` with a turning direction so it walks circles, a `look` whose heading is a latency marker
// twice a second, a `say` every 5 s). Latency = marker sent -> the first state update carrying the marked
// heading decoded, by every bot of the room (the sender included); a marker counts if sent in the window
// and is timed until the drain ends (not seen by then: slower than anything measured).
//
// peerspace: engine.io v4 over a raw websocket, Socket.IO packets as msgpack, snapshot records of 8 bytes.
// Colyseus: the official client (colyseus.js), state decoded by @colyseus/schema.
//
//   node bots.mjs --target peerspace --url http://127.0.0.1:PORT --rooms ROOMS.json
//   node bots.mjs --target colyseus  --url http://127.0.0.1:PORT --rooms ROOMS.json
// ROOMS.json: [{"id": "bench-0", "tokens": ["...", ...]}, ...] (tokens only for peerspace).
// Prints READY once every bot is in its room, reads "T_START T_END" (epoch seconds) from stdin, and prints
// one JSON line of figures after the drain.
import { Client, Room as ColyseusRoom } from "colyseus.js";
import { Packr, Unpackr } from "msgpackr";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import WebSocket from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const TARGET = args.target, URL_ = args.url, INPUT_HZ = Number(args["input-hz"] ?? 4);
const DRAIN = Number(args.drain ?? 3);
const MARK_EVERY = Math.max(1, Math.round(INPUT_HZ / 2)), SAY_EVERY = Math.max(2, Math.round(INPUT_HZ * 5));
const rooms = JSON.parse(readFileSync(args.rooms, "utf8"));

const lat = [];
const stats = { updateBytes: 0, records: 0, said: 0, frames: 0, bytes: 0, sent: 0, marks: 0, errors: 0 };
const win = { on: false, count: false, t0: 0 };
const now = () => performance.now() / 1000;

// Each room: the latest marker of each avatar (heading byte, sequence, send time), keyed by avatar id.
function roomState(id) {
  return { id, pend: new Map() };
}

// A bot has seen an update of its room: `headings` yields [avatar, heading byte] for the avatars it carries.
function seen(bot, entries) {
  if (!win.on) return;
  const t = now(), pend = bot.room.pend;
  for (const [aid, heading] of entries) {
    const p = pend.get(aid);
    if (p === undefined || p.mark !== heading || bot.counted.get(aid) === p.seq) continue;
    bot.counted.set(aid, p.seq);
    if (p.sent >= win.t0) lat.push(t - p.sent);
  }
}

// --- peerspace: engine.io v4 + Socket.IO over msgpack --------------------------------------------------------
const EVENT = 2, ACK = 3, CONNECT = 0, CONNECT_ERROR = 4;
const packr = new Packr({ useRecords: false }), unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

class PeerspaceBot {
  constructor(room, token) {
    this.room = room;
    this.token = token;
    this.counted = new Map();
    this.acks = new Map();
    this.nextId = 0;
  }
  connect() {
    return new Promise((resolve, reject) => {
      const u = new URL(URL_);
      const ws = (this.ws = new WebSocket(`ws://${u.host}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false }));
      ws.on("error", reject);
      ws.on("message", (data, isBinary) => {
        const n = data.length;
        if (!isBinary) {
          const text = data.toString();
          if (text === "2") return ws.send("3");
          if (text[0] === "0") return this.send({ type: CONNECT, nsp: "/", data: { token: this.token } });
          return;
        }
        const pkt = unpackr.unpack(data);
        if (win.count) {
          stats.frames++;
          stats.bytes += n + (n < 126 ? 2 : 4);
        }
        if (pkt.type === EVENT) this.event(pkt.data[0], pkt.data[1], n);
        else if (pkt.type === ACK) {
          const f = this.acks.get(pkt.id);
          if (f) (this.acks.delete(pkt.id), f((pkt.data || [null])[0]));
        } else if (pkt.type === CONNECT) resolve();
        else if (pkt.type === CONNECT_ERROR) reject(new Error(JSON.stringify(pkt.data)));
      });
    });
  }
  send(pkt) {
    this.ws.send(packr.pack(pkt));
  }
  emit(event, data) {
    this.send({ type: EVENT, nsp: "/", data: [event, data] });
  }
  call(event, data) {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.send({ type: EVENT, nsp: "/", data: [event, data], id });
    });
  }
  async join() {
    const ack = await this.call("join", { room: this.room.id });
    if (!ack || !ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
    this.avatar = ack.you;
  }
  event(name, data, n) {
    if (name === "snap") {
      // [t, poses] since protocol 2; a --base checkout from before it sends {t, poses}
      const poses = Array.isArray(data) ? data[1] : data.poses, count = poses.length >> 3;
      if (win.count) {
        stats.updateBytes += n + (n < 126 ? 2 : 4);
        stats.records += count;
      }
      if (!win.on) return;
      const entries = [];
      for (let k = 0; k < count; k++) entries.push([poses.readUInt16LE(8 * k), poses[8 * k + 6]]);
      seen(this, entries);
    } else if (name === "said" && win.count) stats.said++;
    else if (name === "error" && win.on) stats.errors++;
  }
  look(deg) {
    this.emit("look", { yaw: deg });
  }
  move(f, s) {
    this.emit("move", { forward: f, strafe: s, turn: 0.0 });
  }
  say(text) {
    this.emit("say", { text });
  }
  close() {
    this.ws.close();
  }
}

// --- Colyseus: the official client --------------------------------------------------------------------------
const PATCH = 15, STATE = 14; // Colyseus protocol codes: a state patch, the full state
const onMessage = ColyseusRoom.prototype.onMessageCallback;
ColyseusRoom.prototype.onMessageCallback = function (event) {
  const n = event.data.byteLength;
  if (win.count) {
    stats.frames++;
    stats.bytes += n + (n < 126 ? 2 : 4);
    if (new Uint8Array(event.data, 0, 1)[0] === PATCH) {
      stats.updateBytes += n + (n < 126 ? 2 : 4);
      this.benchPatch = true;
    }
  }
  return onMessage.call(this, event);
};

class ColyseusBot {
  constructor(room) {
    this.room = room;
    this.counted = new Map();
    this.last = new Map(); // avatar -> "x,z,heading,expression" last decoded (records per patch)
  }
  async connect() {
    this.client = new Client(URL_);
  }
  async join() {
    const r = (this.r = await this.client.joinOrCreate("bench", { group: this.room.id }));
    this.avatar = r.sessionId;
    const first = new Promise((resolve) => r.onStateChange.once(resolve)); // the full state, decoded
    r.onMessage("said", () => {
      if (win.count) stats.said++;
    });
    r.onStateChange((state) => {
      const counting = win.count && r.benchPatch;
      r.benchPatch = false;
      if (!win.on) return;
      const entries = [];
      state.avatars.forEach((a, sid) => {
        entries.push([sid, a.heading]);
        if (counting) {
          const key = `${a.x},${a.z},${a.heading},${a.expression}`;
          if (this.last.get(sid) !== key) (this.last.set(sid, key), stats.records++);
        }
      });
      seen(this, entries);
    });
    r.onError(() => win.on && stats.errors++);
    await first;
  }
  look(deg) {
    this.r.send("look", { yaw: deg });
  }
  move(f, s) {
    this.r.send("move", { forward: f, strafe: s, turn: 0.0 });
  }
  say(text) {
    this.r.send("say", { text });
  }
  close() {
    this.r.leave(true).catch(() => {});
  }
}

// --- the run ---------------------------------------------------------------------------------------------------
const bots = [];
for (const room of rooms) {
  const st = roomState(room.id);
  for (const token of room.tokens) bots.push(TARGET === "peerspace" ? new PeerspaceBot(st, token) : new ColyseusBot(st));
}
bots.forEach((b, i) => (b.i = i));
async function connectAll(limit = 20) {
  let next = 0;
  const worker = async () => {
    while (next < bots.length) {
      const b = bots[next++];
      await b.connect();
      await b.join();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
await Promise.race([connectAll(), new Promise((_, rej) => setTimeout(() => rej(new Error("connect timeout")), 120000))]);
if (TARGET === "colyseus") {
  // a room's patches carry only what changed since the last one: start each bot's record count from the state now
  for (const b of bots) b.r.state.avatars.forEach((a, sid) => b.last.set(sid, `${a.x},${a.z},${a.heading},${a.expression}`));
}
console.log("READY");
const line = await new Promise((resolve) => createInterface({ input: process.stdin }).once("line", resolve));
const [tStart, tEnd] = line.split(" ").map(Number);

const slices = 10, period = 1 / INPUT_HZ;
const groups = Array.from({ length: slices }, (_, k) => bots.filter((b) => b.i % slices === k));
let seq = 0, nxt = now(), cpu0 = null, sentInWindow = 0, marksInWindow = 0;
const sleep = (s) => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));
while (Date.now() / 1000 < tEnd) {
  if (!win.on && Date.now() / 1000 >= tStart) {
    win.on = win.count = true;
    win.t0 = now();
    cpu0 = process.cpuUsage();
  }
  const group = groups[seq % slices], tick = Math.floor(seq / slices);
  for (const b of group) {
    if (tick % MARK_EVERY === b.i % MARK_EVERY) {
      const p = b.room.pend.get(b.avatar) ?? { mark: -1, seq: 0, sent: 0 };
      const mark = (p.mark + 37 + 256) % 256;
      b.room.pend.set(b.avatar, { mark, seq: p.seq + 1, sent: now() });
      if (win.on) marksInWindow++;
      b.look((mark * 360) / 256);
    } else if (tick % SAY_EVERY === (b.i * 7 + 1) % SAY_EVERY) {
      b.say(`line ${tick} from bot ${b.i}`);
    } else {
      const a = (2 * Math.PI * (tick + b.i)) / (4 * INPUT_HZ); // a full circle every 4 s
      b.move(Math.cos(a), Math.sin(a));
    }
    if (win.on) sentInWindow++;
  }
  seq++;
  nxt += period / slices;
  const delay = nxt - now();
  if (delay < -1) nxt = now();
  await sleep(delay);
}
win.count = false;
const cpu = process.cpuUsage(cpu0);
await sleep(DRAIN);
win.on = false;
const out = {
  ...stats, // first: its own sent and marks are never counted, and must not hide the counts below
  target: TARGET,
  clients: bots.length,
  sent: sentInWindow,
  marks: marksInWindow,
  lat: lat.map((x) => Math.round(x * 1e5) / 1e5),
  cpu_s: (cpu.user + cpu.system) / 1e6,
};
process.stdout.write(JSON.stringify(out) + "\n", () => {
  for (const b of bots) b.close();
  setTimeout(() => process.exit(0), 200);
});
