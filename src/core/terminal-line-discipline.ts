// What a pty's line discipline does between a terminal and the process, for `kubectl attach -t` / `kubectl debug -it`
// where the process runtime allocates no pty (local/attach-websocket.ts). kubectl puts the user's terminal in raw
// mode and sends keystrokes as typed, trusting the container side's pty — as runc gives a container with `tty: true`
// — to turn Enter (CR) into a newline, echo what is typed, edit the line, and turn the output's LF into CRLF. Without
// that, Enter would never end a line and the output would staircase. Reproduced here: the Linux n_tty defaults
// (termios ICRNL, ICANON, ECHO, ECHOE, ECHOK, ISIG without signals, OPOST|ONLCR; drivers/tty/n_tty.c).

/** termios default control characters (include/uapi/asm-generic/termbits.h INIT_C_CC). */
const VINTR = '\x03';
const VEOF = '\x04';
const VERASE = '\x7f';
const BACKSPACE = '\b';
const VKILL = '\x15';

export interface LineInput {
  /** The line being edited, not yet delivered. */
  line: string;
  /** What the process reads now: complete lines (ICANON). */
  deliver: string;
  /** What the terminal shows now (ECHO, ECHOE). */
  echo: string;
}

/**
 * Feeds typed input through the canonical line discipline: returns the new pending line, what reaches the process
 * and what is echoed. Ctrl-C discards the line (`^C`; no signal is sent: the shell runs without a controlling
 * terminal); Ctrl-D delivers a non-empty line without its newline and is ignored on an empty one (the process's stdin
 * cannot be ended from here).
 */
export function terminalInput(pending: string, typed: string): LineInput {
  let line = pending;
  let deliver = '';
  let echo = '';
  for (const ch of typed) {
    if (ch === '\r' || ch === '\n') {
      deliver += `${line}\n`; // ICRNL: CR is a newline
      echo += '\r\n';
      line = '';
    } else if (ch === VERASE || ch === BACKSPACE) {
      if (line.length === 0) continue;
      line = [...line].slice(0, -1).join('');
      echo += '\b \b'; // ECHOE
    } else if (ch === VKILL) {
      echo += '\b \b'.repeat([...line].length); // ECHOK with ECHOKE's erase
      line = '';
    } else if (ch === VINTR) {
      echo += '^C\r\n';
      line = '';
    } else if (ch === VEOF) {
      deliver += line;
      line = '';
    } else {
      line += ch;
      echo += ch;
    }
  }
  return { line, deliver, echo };
}

/** OPOST|ONLCR: a newline the process writes reaches the terminal as CR LF. */
export function terminalOutput(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
