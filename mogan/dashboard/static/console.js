// The console page: xterm.js on the console proxy's WebSocket (no inline script: the
// dashboard's Content-Security-Policy allows scripts from the dashboard only).
(function () {
  "use strict";
  const element = document.getElementById("terminal");
  const state = document.querySelector("[data-testid=console-state]");
  const terminal = new Terminal({ cursorBlink: true, convertEol: false, rows: 30 });
  terminal.open(element);
  const socket = new WebSocket(element.dataset.url);
  socket.binaryType = "arraybuffer";
  const encoder = new TextEncoder();
  socket.onopen = function () {
    element.dataset.state = "open";
    state.textContent = "Connected.";
    terminal.focus();
  };
  socket.onmessage = function (event) {
    terminal.write(typeof event.data === "string" ? event.data : new Uint8Array(event.data));
  };
  socket.onclose = function (event) {
    element.dataset.state = "closed";
    state.textContent = "Disconnected" + (event.reason ? ": " + event.reason : ".");
  };
  terminal.onData(function (data) {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(encoder.encode(data));
    }
  });
})();
