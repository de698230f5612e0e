/** The exact commands the stack outputs tell the operator to run next. */
import type { Naming } from "./naming.ts";
import { SECRET_EXAMPLES, type SecretPurpose } from "./secrets.ts";

/** `aws secretsmanager put-secret-value` with every key of the secret and an example value to replace. */
export function putSecretCommand(naming: Naming, purpose: SecretPurpose): string {
  const value = JSON.stringify(SECRET_EXAMPLES[purpose]);
  return `aws secretsmanager put-secret-value --secret-id ${naming.secretName(purpose)} --secret-string '${value}'`;
}
