/**
 * A loopback AWS Secrets Manager answering `GetSecretValue` in the service's JSON 1.1 protocol (the
 * request the real SDK client sends), so the alert Lambda's secret loading and caching run unchanged.
 */
import { startLoopbackServer } from "./loopbackHttp.ts";

export class SecretsManagerStandIn {
  readonly secrets = new Map<string, string>();
  getSecretValueCalls = 0;
  endpoint = "";
  #close: (() => Promise<void>) | null = null;

  static async start(): Promise<SecretsManagerStandIn> {
    const standIn = new SecretsManagerStandIn();
    const server = await startLoopbackServer((request, body) => {
      const target = String(request.headers["x-amz-target"] ?? "");
      if (target !== "secretsmanager.GetSecretValue") {
        return { status: 400, body: { __type: "UnknownOperationException" } };
      }
      standIn.getSecretValueCalls += 1;
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = standIn.secrets.get(SecretId);
      if (value === undefined) {
        return {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: {
            __type: "ResourceNotFoundException",
            message: "Secrets Manager can't find the specified secret.",
          },
        };
      }
      return {
        status: 200,
        headers: { "content-type": "application/x-amz-json-1.1" },
        body: {
          ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}-AbCdEf`,
          Name: SecretId,
          SecretString: value,
          VersionId: "00000000-0000-0000-0000-000000000001",
          VersionStages: ["AWSCURRENT"],
          CreatedDate: 1_700_000_000,
        },
      };
    });
    standIn.endpoint = server.url;
    standIn.#close = server.close;
    return standIn;
  }

  async close(): Promise<void> {
    await this.#close?.();
  }
}
