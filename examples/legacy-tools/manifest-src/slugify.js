// Code of the manifest entry "slugify": the manifest carries its metadata.
export default async function call({ text, separator = "-" }) {
  // The separator is text, not a pattern or a replacement: escaped, "." or "(" trims only
  // itself, and "$&" is put in as it is.
  const sep = separator.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, () => separator)
    .replace(new RegExp(`^(?:${sep})+|(?:${sep})+$`, "g"), "");
}
