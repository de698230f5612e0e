/**
 * Create Interaction Response (`POST /interactions/{id}/{token}/callback`) through the alert Lambda's
 * Discord channel code, against the loopback Discord: a multipart answer with a PNG, and the refusals
 * Discord gives an interaction that is unknown, expired or already answered.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../lambda-alerts/src/channels/channelError.ts";
import {
  type DiscordInteractionResponse,
  postDiscordInteractionResponse,
} from "../../lambda-alerts/src/channels/discord.ts";
import { DiscordStandIn, INTERACTION_RESPONSE_WINDOW_MS } from "../support/discordStandIn.ts";
import { PNG_SIGNATURE, pngSize } from "../support/multipart.ts";

let discord: DiscordStandIn;
beforeEach(async () => {
  discord = await DiscordStandIn.start();
});
afterEach(async () => {
  await discord.close();
});

/** The smallest valid PNG header a check of signature and IHDR looks at (1×1). */
const PNG = new Uint8Array([
  ...PNG_SIGNATURE,
  ...[0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89],
]);
const answer = (image: boolean): DiscordInteractionResponse => ({
  type: 4,
  data: {
    embeds: [
      {
        title: "PnL last 7d: +10.25",
        color: 0x3498db,
        timestamp: new Date().toISOString(),
        fields: [],
        footer: { text: "hl-monitor" },
        ...(image ? { image: { url: "attachment://pnl.png" } } : {}),
      },
    ],
    allowed_mentions: { parse: [] },
    flags: 64,
  },
});
const timing = () => ({ deadline: Date.now() + 2_000, attempts: 1, requestTimeoutMs: 2_000 });
const file = { filename: "pnl.png", contentType: "image/png", bytes: PNG };

describe("interaction callback", () => {
  it("takes the answer multipart with the PNG as files[0], described in data.attachments, and answers 204", async () => {
    const interaction = discord.openInteraction();
    const response = await postDiscordInteractionResponse(
      { apiUrl: discord.apiUrl, interactionId: interaction.id, interactionToken: interaction.token },
      answer(true),
      timing(),
      file,
    );
    expect(response.status).toBe(204);
    const [record] = discord.interactionResponses;
    expect(record).toMatchObject({ interactionId: interaction.id, type: 4 });
    expect(record!.data.attachments).toEqual([{ id: 0, filename: "pnl.png" }]);
    expect(record!.data.embeds[0]!.image).toEqual({ url: "attachment://pnl.png" });
    expect(pngSize(record!.data.files![0]!.bytes)).toEqual({ width: 1, height: 1 });
  });

  it("takes a JSON answer without files", async () => {
    const interaction = discord.openInteraction();
    const target = {
      apiUrl: discord.apiUrl,
      interactionId: interaction.id,
      interactionToken: interaction.token,
    };
    expect((await postDiscordInteractionResponse(target, answer(false), timing())).status).toBe(204);
    expect(discord.interactionResponses[0]!.data.files).toBeUndefined();
  });

  it("refuses an unknown interaction or a wrong token with 404, code 10062", async () => {
    const interaction = discord.openInteraction();
    for (const target of [
      { interactionId: "42", interactionToken: interaction.token },
      { interactionId: interaction.id, interactionToken: "not-the-token" },
    ]) {
      const error = await postDiscordInteractionResponse(
        { apiUrl: discord.apiUrl, ...target },
        answer(true),
        timing(),
        file,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChannelError);
      expect((error as ChannelError).message).toBe("discord: HTTP 404 (code 10062: Unknown interaction)");
      expect((error as ChannelError).message).not.toContain(interaction.token);
    }
    expect(discord.interactionResponses).toHaveLength(0);
  });

  it("refuses an interaction past its 3 s as unknown (10062), and a second answer with 400, code 40060", async () => {
    let clock = 1_000_000;
    const late = discord.openInteraction({}, () => clock);
    clock += INTERACTION_RESPONSE_WINDOW_MS + 1;
    const target = (i: { id: string; token: string }) => ({
      apiUrl: discord.apiUrl,
      interactionId: i.id,
      interactionToken: i.token,
    });
    await expect(postDiscordInteractionResponse(target(late), answer(false), timing())).rejects.toThrow(
      "code 10062",
    );
    const once = discord.openInteraction();
    await postDiscordInteractionResponse(target(once), answer(true), timing(), file);
    await expect(postDiscordInteractionResponse(target(once), answer(false), timing())).rejects.toThrow(
      "discord: HTTP 400 (code 40060: Interaction has already been acknowledged)",
    );
    expect(discord.interactionResponses).toHaveLength(1);
  });

  it("refuses a file that is not described in attachments, a .png that is not a PNG, and flags a message may not set", async () => {
    const interaction = discord.openInteraction();
    const url = `${discord.apiUrl}/interactions/${interaction.id}/${interaction.token}/callback`;
    const post = (payload: unknown, bytes: Uint8Array = PNG) => {
      const form = new FormData();
      form.set("payload_json", JSON.stringify(payload));
      form.set("files[0]", new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/png" }), "pnl.png");
      return fetch(url, { method: "POST", body: form });
    };
    const undescribed = await post(answer(true));
    expect(undescribed.status).toBe(400);
    expect(await undescribed.json()).toMatchObject({ code: 50035 });
    const described = (flags: number) => ({
      ...answer(true),
      data: { ...answer(true).data, flags, attachments: [{ id: 0, filename: "pnl.png" }] },
    });
    const notPng = await post(described(64), new TextEncoder().encode("not a picture"));
    expect(notPng.status).toBe(400);
    const crossposted = await post(described(1 << 1));
    expect(crossposted.status).toBe(400);
    expect(discord.interactionResponses).toHaveLength(0);
    expect((await post(described(64))).status).toBe(204);
  });
});
