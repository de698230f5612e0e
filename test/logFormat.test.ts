/**
 * Local logs are readable: pretty, coloured lines on a terminal (or with LOG_FORMAT=pretty), JSON
 * otherwise (ECS, CloudWatch Logs Insights). Secrets are redacted in both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../monitor/src/config/config.ts";
import { createLogger, logFormatFor } from "../monitor/src/telemetry/logger.ts";
import { startMonitorProcess } from "./support/monitorProcess.ts";

const ADDRESS = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe("log format", () => {
  it("is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says", () => {
    expect(logFormatFor("auto", true)).toBe("pretty");
    expect(logFormatFor("auto", false)).toBe("json");
    expect(logFormatFor("pretty", false)).toBe("pretty");
    expect(logFormatFor("json", true)).toBe("json");
  });

  it("LOG_FORMAT is checked like every setting", () => {
    expect(loadConfig({ ACCOUNT_ADDRESS: ADDRESS }).logFormat).toBe("auto");
    expect(loadConfig({ ACCOUNT_ADDRESS: ADDRESS, LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(() => loadConfig({ ACCOUNT_ADDRESS: ADDRESS, LOG_FORMAT: "xml" })).toThrow(
      new ConfigError("LOG_FORMAT must be auto, pretty or json"),
    );
  });

  it("a pretty line: time, level, message, then the fields; secrets redacted", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, format: "pretty", colour: false });
    logger.warn(
      {
        account: ADDRESS,
        attempts: 3,
        detail: "two words",
        TELEGRAM_BOT_TOKEN: "123:abc",
        alerts: { webhookUrl: "https://discord.example/x" },
        err: { name: "StorageError", message: "DescribeTable failed" },
      },
      "storage check: storage not answering; retrying",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  storage check: storage not answering; retrying  account=${ADDRESS} attempts=3 detail="two words" TELEGRAM_BOT_TOKEN=\\[redacted\\] alerts=\\{"webhookUrl":"\\[redacted\\]"\\} err=StorageError: DescribeTable failed\\n$`,
      ),
    );
    expect(lines.join("")).not.toContain("123:abc");
    expect(lines.join("")).not.toContain("discord.example");
  });

  it("colours the level and dims the fields when asked", () => {
    const { lines, destination } = capture();
    createLogger({ destination, format: "pretty", colour: true }).error({ n: 1 }, "boom");
    expect(lines[0]).toContain("\x1b[31mERROR\x1b[0m");
    expect(lines[0]).toContain("boom");
    expect(lines[0]).toContain("\x1b[2mn=\x1b[0m1");
  });

  it("JSON stays one object per line with a textual level, secrets redacted", () => {
    const { lines, destination } = capture();
    createLogger({ destination, format: "json" }).info({ token: "s3cret" }, "hello");
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", msg: "hello", token: "[redacted]" });
  });

  it("npm start with LOG_FORMAT=pretty writes pretty lines", async () => {
    const work = mkdtempSync(join(tmpdir(), "hl-logformat-"));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const monitor = startMonitorProcess(
      {
        ACCOUNT_ADDRESS: ADDRESS,
        HEALTH_PORT: "0",
        DATA_DIR: join(work, "data"),
        LOG_FORMAT: "pretty",
        HYPERLIQUID_API_URL: `http://127.0.0.1:${port}`,
        HYPERLIQUID_WS_URL: `ws://127.0.0.1:${port}/ws`,
      },
      { cwd: work, args: [join(process.cwd(), "monitor/src/main.ts")] },
    );
    try {
      const deadline = Date.now() + 20_000;
      while (!monitor.output().includes("embedded store started") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const line = monitor
        .output()
        .split("\n")
        .find((text) => text.includes("embedded store started"));
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}embedded store started {2}dataDir=/);
      // The final metrics flush at the stop: no EMF JSON on a terminal (a debug line instead).
      monitor.child.kill("SIGTERM");
      await monitor.exited;
      expect(monitor.output()).toMatch(/ INFO {2}monitor stopped/);
      expect(monitor.output()).not.toContain('"_aws"');
    } finally {
      monitor.child.kill("SIGTERM");
      await monitor.exited;
      rmSync(work, { recursive: true, force: true });
    }
  });
});
