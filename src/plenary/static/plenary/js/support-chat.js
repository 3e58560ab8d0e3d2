// The live chat with IT support. Messages arrive over the WebSocket and are written with
// textContent: whatever a person types is shown as text, never run. Without a socket the
// form posts as an ordinary form.
(() => {
  const chat = document.getElementById("chat");
  if (!chat) return;
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const field = form.querySelector("textarea");
  const status = document.getElementById("chat-status");
  const staff = chat.dataset.staff === "1";
  const seen = new Set();
  let socket = null;
  let delay = 500;

  function add(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    document.getElementById("chat-empty")?.remove();
    const item = document.createElement("li");
    item.className = "mb-2";
    const who = document.createElement("strong");
    const mine = message.from_support === staff;
    who.textContent = message.from_support ? chat.dataset.support : (mine ? chat.dataset.you : chat.dataset.person);
    const when = document.createElement("span");
    when.className = "small text-body-secondary ms-1";
    when.textContent = new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const text = document.createElement("div");
    text.className = "chat-text";
    text.style.whiteSpace = "pre-wrap";
    text.textContent = message.text;
    item.append(who, when, text);
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + chat.dataset.socket);
    socket.addEventListener("open", () => { status.textContent = ""; delay = 500; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "message") add(data);
      else if (data.type === "refused") status.textContent = data.message || data.code;
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4403) return;
      status.textContent = chat.dataset.offline;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 4000);
    });
  }

  form.addEventListener("submit", (event) => {
    if (!socket || socket.readyState !== WebSocket.OPEN || !field.value.trim()) return;
    event.preventDefault();
    socket.send(JSON.stringify({ op: "say", text: field.value }));
    field.value = "";
  });
  connect();
})();
