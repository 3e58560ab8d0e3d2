// The rehearsal's equipment check (R14): asks the browser for the microphone and the
// camera, shows the picture and the sound level, and says in plain words what works.
// Nothing leaves the browser.
(() => {
  const box = document.getElementById("device-check");
  if (!box) return;
  const button = document.getElementById("device-start");
  const video = document.getElementById("device-video");
  const meter = document.getElementById("device-level");
  const result = document.getElementById("device-result");
  const list = document.getElementById("device-list");
  const say = (key) => { result.textContent = box.dataset[key]; result.dataset.state = key; };

  async function open() {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (error) {
      if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
        return navigator.mediaDevices.getUserMedia({ audio: true });
      }
      throw error;
    }
  }

  function listen(stream) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let loudest = 0;
    const started = performance.now();
    function tick() {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const value of samples) sum += value * value;
      const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meter.value = level;
      loudest = Math.max(loudest, level);
      if (performance.now() - started > 3000 && loudest < 0.001) say("msgSilent");
      requestAnimationFrame(tick);
    }
    tick();
  }

  button.addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("msgUnsupported");
      return;
    }
    try {
      const stream = await open();
      const hasVideo = stream.getVideoTracks().length > 0;
      if (hasVideo) {
        video.srcObject = stream;
        await video.play().catch(() => {});
      }
      listen(stream);
      list.replaceChildren(...stream.getTracks().map((track) => {
        const item = document.createElement("li");
        item.textContent = `${track.kind}: ${track.label || "—"}`;
        return item;
      }));
      say(hasVideo ? "msgOk" : "msgAudioOnly");
    } catch (error) {
      say(error.name === "NotAllowedError" ? "msgDenied" : "msgMissing");
    }
  });
})();
