// Visitor passwords of tunnel rules are hashed here, in the browser (PBKDF2-SHA256, the agent's format), and only
// the hash goes to the console: the password field is not bound to the server, and is cleared once read.
window.spokesHashPasswordOf = async (elementId, iterations) => {
  const input = document.getElementById(elementId);
  const password = input ? input.value : "";
  if (input) input.value = "";
  if (!password) return null;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  const b64 = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  return `pbkdf2-sha256$${iterations}$${b64(salt)}$${b64(bits)}`;
};
window.spokesPasswordLength = elementId => (document.getElementById(elementId)?.value ?? "").length;
