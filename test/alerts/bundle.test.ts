/**
 * The Lambda as deployed: bundled by esbuild (as the stack's NodejsFunction does) with the AWS SDK left
 * to the runtime, then run from the bundle in a separate Node process against the loopback Discord.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ALERT_SCHEMA } from "../../lambda-alerts/src/alertEvent.ts";
import { CHART_ASSETS } from "../../lambda-alerts/src/render/chartAssets.ts";
import { CHART_ASSETS_FOLDER } from "../../lib/chartAssetsBundling.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { bundleLambda } from "../support/lambdaBundle.ts";
import { pngSize } from "../support/multipart.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Inside the project, so that the external AWS SDK resolves from node_modules as the runtime provides it.
const OUT = join(ROOT, "data", `lambda-bundle-${process.pid}`);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("alert Lambda bundle", () => {
  it("bundles small without the AWS SDK, and delivers from the bundle", async () => {
    mkdirSync(OUT, { recursive: true });
    const outfile = join(OUT, "index.cjs");
    await bundleLambda("lambda-alerts/src/handler.ts", outfile);
    const kb = statSync(outfile).size / 1024;
    console.log(`alert Lambda bundle: ${kb.toFixed(1)} KB`);
    // ~110 KB of delivery code and ~75 KB of chart code (d3, resvg's loader), the latter evaluated only
    // when an alert has a chart; resvg's 2.4 MB WebAssembly module and the fonts are files beside it.
    expect(kb).toBeLessThan(260);
    // As the stack's afterBundling hook does (lib/alerting.ts).
    const assets = join(OUT, CHART_ASSETS_FOLDER);
    mkdirSync(assets, { recursive: true });
    const resolve = createRequire(import.meta.url).resolve;
    for (const { file, packagePath } of Object.values(CHART_ASSETS)) {
      copyFileSync(resolve(packagePath), join(assets, file));
    }

    const discord = await DiscordStandIn.start();
    try {
      const event = {
        Records: [
          {
            Sns: {
              MessageId: "bundle-1",
              Timestamp: new Date().toISOString(),
              Message: JSON.stringify({
                schema: ALERT_SCHEMA,
                key: "bundle-test",
                kind: "position_closed",
                severity: "success",
                title: "BTC long closed: +1 USDC",
                summary: "From the bundle.",
                account: null,
                coin: "BTC",
                time: Date.now(),
                fields: [{ label: "Realised PnL (net of fees)", value: "+1 USDC" }],
                links: [],
              }),
            },
          },
          {
            Sns: {
              MessageId: "bundle-2",
              Timestamp: new Date().toISOString(),
              Message: JSON.stringify({
                schema: ALERT_SCHEMA,
                key: "bundle-chart",
                kind: "daily_summary",
                severity: "info",
                title: "Daily summary: +3 USDC",
                summary: "With a chart, from the bundle.",
                account: null,
                coin: null,
                time: Date.now(),
                fields: [],
                links: [],
                chart: {
                  title: "Realised PnL, last 30 days",
                  cumulativePnl: [
                    { t: Date.now() - 86_400_000, value: "0" },
                    { t: Date.now() - 3_600_000, value: "3" },
                  ],
                },
              }),
            },
          },
        ],
      };
      const runner = join(OUT, "run.cjs");
      writeFileSync(
        runner,
        `require("./index.cjs").handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 10000 })` +
          `.then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"), (e) => { console.error(e.message); process.exit(1); });`,
      );
      const { stdout } = await promisify(execFile)(process.execPath, [runner], {
        env: {
          PATH: process.env.PATH,
          DISCORD_WEBHOOK_URL: discord.webhookUrl,
          LOG_LEVEL: "warn",
          CHART_ASSETS_DIR: assets,
        },
        timeout: 20_000,
      });
      expect(stdout).toContain('"discord":"sent"');
      expect(discord.messages).toHaveLength(2);
      expect(discord.messages[0]!.embeds[0]!.title).toBe("BTC long closed: +1 USDC");
      expect(discord.messages[0]!.files).toBeUndefined();
      expect(discord.messages[1]!.embeds[0]!.image).toEqual({ url: "attachment://pnl.png" });
      expect(pngSize(discord.messages[1]!.files![0]!.bytes)).toEqual({ width: 1080, height: 720 });
      expect(stdout).not.toContain(discord.webhookToken);
    } finally {
      await discord.close();
    }
  });
});
