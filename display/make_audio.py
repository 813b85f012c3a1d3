"""Generate the hall display's voice segments and chime as small MP3 files.

    python display/make_audio.py            # writes display/audio/id/*.mp3, display/audio/chime.mp3, SOURCE.md

The segments are spoken by Debian's ``espeak-ng`` Indonesian voice, trimmed of leading and trailing
silence with ``sox`` so they play back to back without dead air, and encoded with ``ffmpeg``/LAME as
mono 22.05 kHz MP3, which every browser plays. The list of segments and what each one says comes
from ``queue_app/announce.py`` (``SPOKEN``), the same module that builds the announcements, so the two
cannot drift apart; ``tests/queue/test_announce.py`` checks that a file exists for every segment.
Needs: ``apt-get install espeak-ng sox ffmpeg``. No network, no model downloads.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
AUDIO_DIR = HERE / "audio"
ANNOUNCE_PY = HERE.parent / "queue_app" / "announce.py"

VOICE = "id"          # espeak-ng's Indonesian voice (poz/id)
SPEED = 145           # words per minute; espeak's 175 default is too hurried for a hall with echo
PITCH = 45            # 0..99, default 50; a touch lower sounds calmer
SAMPLE_RATE = 22050
BITRATE = "40k"
SILENCE_DB = "-42d"   # below this counts as silence when trimming
PAD_SECONDS = 0.02    # keep a hair of room so plosives at the edges are not clipped


def load_announce() -> ModuleType:
    """Load ``queue_app/announce.py`` by path: it is pure Python, and this keeps Flask and a database out of the tool."""
    spec = importlib.util.spec_from_file_location("_mpp_announce", ANNOUNCE_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run(*cmd: str) -> str:
    """Run a tool, failing loudly with its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def encode_mp3(wav: Path, mp3: Path) -> None:
    """Mono 22.05 kHz CBR MP3 with no tags; the LAME/Xing header keeps gapless info for the browser."""
    run("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "libmp3lame", "-b:a", BITRATE,
        "-map_metadata", "-1", "-id3v2_version", "0", "-write_xing", "1", "-fflags", "+bitexact",
        "-flags:a", "+bitexact", str(mp3))


def make_segment(name: str, words: str, out_dir: Path, tmp: Path) -> Path:
    """Speak ``words``, trim the silence around them, normalise, encode as ``<name>.mp3``."""
    raw, trimmed, mp3 = tmp / f"{name}.raw.wav", tmp / f"{name}.wav", out_dir / f"{name}.mp3"
    run("espeak-ng", "-v", VOICE, "-s", str(SPEED), "-p", str(PITCH), "-w", str(raw), words)
    run("sox", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", str(trimmed),
        "silence", "1", "0.01", SILENCE_DB, "reverse", "silence", "1", "0.01", SILENCE_DB, "reverse",
        "norm", "-1", "pad", str(PAD_SECONDS), str(PAD_SECONDS))
    encode_mp3(trimmed, mp3)
    return mp3


def chime_samples(rate: int = SAMPLE_RATE) -> list[float]:
    """A soft two-note "ding-dong" (E5 then C5), bell-like partials with an exponential decay, about 1.3 s."""
    notes = ((0.0, 659.25), (0.42, 523.25))          # (start seconds, fundamental Hz)
    partials = ((1.0, 1.0), (2.0, 0.28), (3.0, 0.08), (4.2, 0.03))  # (frequency ratio, amplitude)
    length, attack, decay = 1.35, 0.006, 0.32
    samples = [0.0] * int(length * rate)
    for start, freq in notes:
        first = int(start * rate)
        for i in range(first, len(samples)):
            t = (i - first) / rate
            envelope = min(1.0, t / attack) * math.exp(-t / decay)
            samples[i] += envelope * sum(a * math.sin(2 * math.pi * freq * r * t) for r, a in partials)
    fade = int(0.08 * rate)  # end at true silence, no click
    for k in range(fade):
        samples[-1 - k] *= k / fade
    peak = max(abs(s) for s in samples)
    gain = 10 ** (-4 / 20) / peak  # peak at -4 dBFS: clearly softer than the voice that follows
    return [s * gain for s in samples]


def make_chime(out: Path, tmp: Path) -> Path:
    """Synthesise the chime in pure Python (reproducible to the sample) and encode it."""
    wav = tmp / "chime.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(b"".join(struct.pack("<h", round(s * 32767)) for s in chime_samples()))
    encode_mp3(wav, out)
    return out


def tool_versions() -> dict[str, str]:
    """First line of each tool's version output, for SOURCE.md."""
    return {
        "espeak-ng": run("espeak-ng", "--version").splitlines()[0].strip(),
        "sox": run("sox", "--version").strip().splitlines()[0],
        "ffmpeg": run("ffmpeg", "-version").splitlines()[0],
    }


SOURCE_TEMPLATE = """\
# Source of the display's audio files

Generated by `display/make_audio.py`; do not edit the MP3 files by hand, run the script again.

- `id/*.mp3`: {count} Indonesian speech segments, one per name in `queue_app.queue.announce.SEGMENTS`
  (what each one says is `queue_app.queue.announce.SPOKEN`). Spoken by **eSpeak NG**, voice `{voice}`
  (Indonesian), speed {speed} wpm, pitch {pitch}; leading/trailing silence below {silence}B trimmed with
  SoX, peak-normalised to -1 dBFS, {pad} s of padding each side; encoded with FFmpeg's libmp3lame as
  mono {rate} Hz CBR {bitrate}bit/s MP3 without tags.
- `chime.mp3`: a two-note "ding-dong" (E5 then C5, bell-like partials, exponential decay, {chime_len:.2f} s)
  synthesised sample by sample in `make_audio.py` (`chime_samples()`), same encoding.

Total size: {total} bytes.

Commands per segment (see `make_segment()`):

```sh
espeak-ng -v {voice} -s {speed} -p {pitch} -w raw.wav "WORDS"
sox -D raw.wav -r {rate} -c 1 trimmed.wav silence 1 0.01 {silence} reverse silence 1 0.01 {silence} reverse norm -1 pad {pad} {pad}
ffmpeg -i trimmed.wav -ac 1 -ar {rate} -c:a libmp3lame -b:a {bitrate} -map_metadata -1 -id3v2_version 0 NAME.mp3
```

Letters are spoken by giving eSpeak NG the capital letter, which its Indonesian voice names the
Indonesian way (B "be", K "ka", V "fe", Z "zet").

## Tool versions

{versions}

## Licences

eSpeak NG is GPL-3.0-or-later. The files here are that program's *output*: speech generated from our
own short texts. The GPL does not cover the output of a program run on your input, so these recordings
carry no GPL obligation; they are distributed under the project's licence. The chime is generated by our
own code. The FFmpeg/LAME and SoX builds used are Debian's (LGPL/GPL); likewise only their output is
committed.

## Other voices considered

- `mbrola-id1` (the MBROLA Indonesian diphone voice; eSpeak NG already lists it as `mb-id1`) sounds more
  natural, but MBROLA voice databases are licensed for non-commercial, non-military use only (Debian ships
  them in non-free, which this system's apt sources do not include), so it is not used.
- Neural voices (Piper, Coqui, MMS-TTS) have Indonesian models but need model weights downloaded from a
  model hub; eSpeak NG comes straight from Debian and needs nothing else.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=AUDIO_DIR, help="audio folder (default: display/audio)")
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox", "ffmpeg"):
        if not shutil.which(tool):
            parser.error(f"{tool} not found; apt-get install espeak-ng sox ffmpeg")
    spoken: dict[str, str] = load_announce().SPOKEN
    seg_dir = args.out / "id"
    seg_dir.mkdir(parents=True, exist_ok=True)
    for stale in seg_dir.glob("*.mp3"):
        if stale.stem not in spoken:
            stale.unlink()
            print(f"removed stale {stale.name}")
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            files = list(pool.map(lambda item: make_segment(*item, seg_dir, tmp), sorted(spoken.items())))
        chime = make_chime(args.out / "chime.mp3", tmp)
    total = sum(f.stat().st_size for f in [*files, chime])
    versions = "\n".join(f"- {name}: `{line}`" for name, line in tool_versions().items())
    (args.out / "SOURCE.md").write_text(SOURCE_TEMPLATE.format(
        count=len(files), voice=VOICE, speed=SPEED, pitch=PITCH, silence=SILENCE_DB, pad=PAD_SECONDS,
        rate=SAMPLE_RATE, bitrate=BITRATE, chime_len=len(chime_samples()) / SAMPLE_RATE, total=total,
        versions=versions,
    ), encoding="utf-8")
    print(f"{len(files)} segments + chime, {total} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
