/**
 * multipart/form-data as the chat-service stand-ins receive it (RFC 7578): the boundary from the
 * Content-Type header, parsed by the platform's own parser (`Response.formData()`), and the checks both
 * services make of an uploaded picture.
 */
export interface MultipartPart {
  name: string;
  /** Set for a file part. */
  filename: string | null;
  contentType: string | null;
  text: string | null;
  bytes: Uint8Array | null;
}

export type MultipartResult = { parts: MultipartPart[] } | { error: string };

export async function parseMultipart(contentType: string | undefined, raw: Buffer): Promise<MultipartResult> {
  const boundary = /^multipart\/form-data;\s*boundary=("?)([^";]{1,70})\1\s*$/i.exec(contentType ?? "");
  // RFC 7578 §4.1 / RFC 2046 §5.1.1: a boundary parameter of 1-70 characters is required.
  if (!boundary) return { error: "content-type is not multipart/form-data with a boundary" };
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType! } }).formData();
  } catch (error) {
    return { error: `malformed multipart body (${error instanceof Error ? error.message : String(error)})` };
  }
  const parts: MultipartPart[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") {
      parts.push({ name, filename: null, contentType: null, text: value, bytes: null });
    } else {
      parts.push({
        name,
        filename: value.name,
        contentType: value.type || null,
        text: null,
        bytes: new Uint8Array(await value.arrayBuffer()),
      });
    }
  }
  return { parts };
}

/** The eight bytes every PNG starts with (PNG spec, 5.2 "PNG signature"). */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && PNG_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

/** Width and height from the IHDR chunk, which must come first (PNG spec, 11.2.2). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (!isPng(bytes) || bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== "IHDR") return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
