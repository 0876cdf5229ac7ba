// The peer in peerspace's bench: a minimal Colyseus room server with peerspace's room model.
//
// Rooms of up to 10 avatars with x, z, heading and expression (@colyseus/schema: int16 centimetres, a heading
// byte of 256 steps and an expression byte, as peerspace's 8-byte pose records quantise them). Clients send
// held input (`move`: forward, strafe, turn) and `look` (a yaw), and `say` chat lines; the server integrates
// the held input at the tick rate (walk 1.6 m/s, turn 120 deg/s, a room of +-12 m: peerspace's defaults) and
// patches state at the same rate. No authentication, validation, rate limit, personal space or safety hooks:
// it does less work per message than peerspace does.
//
//   node server.mjs --port 0 --tick-hz 30 --ready-file PATH
import { Room, Server } from "@colyseus/core";
import { MapSchema, Schema, defineTypes } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const TICK_HZ = Number(args["tick-hz"] ?? 30);
const WALK = 1.6, TURN = 120, HALF = 12;

class Avatar extends Schema {
  constructor() {
    super();
    this.x = 0; // centimetres
    this.z = 0;
    this.heading = 0; // 256 steps
    this.expression = 0;
  }
}
defineTypes(Avatar, { x: "int16", z: "int16", heading: "uint8", expression: "uint8" });

class RoomState extends Schema {
  constructor() {
    super();
    this.avatars = new MapSchema();
  }
}
defineTypes(RoomState, { avatars: { map: Avatar } });

const headingByte = (deg) => Math.round((((deg % 360) + 360) % 360) * (256 / 360)) % 256;

class BenchRoom extends Room {
  maxClients = 10;

  onCreate() {
    this.setState(new RoomState());
    this.held = new Map(); // sessionId -> {x, z (metres), yaw (degrees), forward, strafe, turn}
    this.onMessage("move", (client, m) => {
      const h = this.held.get(client.sessionId);
      if (h) Object.assign(h, { forward: +m.forward || 0, strafe: +m.strafe || 0, turn: +m.turn || 0 });
    });
    this.onMessage("look", (client, m) => {
      const h = this.held.get(client.sessionId);
      if (!h) return;
      h.yaw = ((+m.yaw % 360) + 360) % 360;
      this.state.avatars.get(client.sessionId).heading = headingByte(h.yaw);
    });
    this.onMessage("say", (client, m) => {
      this.broadcast("said", { avatar: client.sessionId, text: String(m.text).slice(0, 500), ts: Date.now() / 1000 });
    });
    const dtMs = 1000 / TICK_HZ;
    this.setSimulationInterval((dt) => this.step(dt / 1000), dtMs);
    this.setPatchRate(dtMs);
  }

  step(dt) {
    for (const [sid, h] of this.held) {
      if (!h.forward && !h.strafe && !h.turn) continue;
      h.yaw = (((h.yaw + h.turn * TURN * dt) % 360) + 360) % 360;
      const rad = (h.yaw * Math.PI) / 180, s = Math.sin(rad), c = Math.cos(rad), step = WALK * dt;
      h.x = Math.max(-HALF, Math.min(HALF, h.x + (c * h.strafe - s * h.forward) * step));
      h.z = Math.max(-HALF, Math.min(HALF, h.z + (c * h.forward + s * h.strafe) * step));
      const a = this.state.avatars.get(sid);
      a.x = Math.round(h.x * 100);
      a.z = Math.round(h.z * 100);
      a.heading = headingByte(h.yaw);
    }
  }

  onJoin(client) {
    this.held.set(client.sessionId, { x: 0, z: 0, yaw: 0, forward: 0, strafe: 0, turn: 0 });
    this.state.avatars.set(client.sessionId, new Avatar());
  }

  onLeave(client) {
    this.held.delete(client.sessionId);
    this.state.avatars.delete(client.sessionId);
  }
}

const http = createServer();
const gameServer = new Server({ transport: new WebSocketTransport({ server: http }), greet: false });
gameServer.define("bench", BenchRoom).filterBy(["group"]);
await gameServer.listen(Number(args.port ?? 0), "127.0.0.1");
const port = http.address().port;
if (args["ready-file"]) writeFileSync(args["ready-file"], String(port));
console.log(`colyseus listening on ${port}`);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
