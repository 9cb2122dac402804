// The SMS composer: a date picked for "Send later" switches it on, so that a date is never
// ignored and the SMS sent at once. Without this script the server refuses such a send.
document.addEventListener("DOMContentLoaded", () => {
  const when = document.getElementById("id_send_at");
  const later = document.getElementById("id_send_later");
  if (!when || !later) return;
  const follow = () => {
    if (when.value) later.checked = true;
  };
  when.addEventListener("input", follow);
  when.addEventListener("change", follow);
  later.addEventListener("change", () => {
    if (!later.checked) when.value = "";
  });
});
