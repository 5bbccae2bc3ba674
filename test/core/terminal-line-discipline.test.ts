// The pty line discipline attach applies for `kubectl attach -t` / `kubectl debug -it` (n_tty defaults).
import { describe, expect, it } from 'vitest';
import { terminalInput, terminalOutput } from '../../src/core/terminal-line-discipline.ts';

describe('terminal line discipline', () => {
  it.each([
    {
      name: 'Enter (CR) ends the line: ICRNL',
      pending: '',
      typed: 'ls\r',
      line: '',
      deliver: 'ls\n',
      echo: 'ls\r\n',
    },
    {
      name: 'a line in pieces waits for Enter',
      pending: 'ec',
      typed: 'ho',
      line: 'echo',
      deliver: '',
      echo: 'ho',
    },
    {
      name: 'DEL erases the last character',
      pending: 'lsx',
      typed: '\x7f\r',
      line: '',
      deliver: 'ls\n',
      echo: '\b \b\r\n',
    },
    {
      name: 'erase on an empty line does nothing',
      pending: '',
      typed: '\x7f',
      line: '',
      deliver: '',
      echo: '',
    },
    {
      name: 'Ctrl-U kills the line',
      pending: 'rm',
      typed: '\x15',
      line: '',
      deliver: '',
      echo: '\b \b\b \b',
    },
    {
      name: 'Ctrl-C discards the line',
      pending: 'sleep',
      typed: '\x03',
      line: '',
      deliver: '',
      echo: '^C\r\n',
    },
    {
      name: 'Ctrl-D sends a pending line without newline',
      pending: 'ab',
      typed: '\x04',
      line: '',
      deliver: 'ab',
      echo: '',
    },
    {
      name: 'two lines at once',
      pending: '',
      typed: 'a\rb\r',
      line: '',
      deliver: 'a\nb\n',
      echo: 'a\r\nb\r\n',
    },
    {
      name: 'a multi-byte character is erased whole',
      pending: 'né',
      typed: '\x7f',
      line: 'n',
      deliver: '',
      echo: '\b \b',
    },
  ])('$name', ({ pending, typed, line, deliver, echo }) => {
    expect(terminalInput(pending, typed)).toEqual({ line, deliver, echo });
  });

  it('output newlines become CR LF (ONLCR), existing CR LF stays', () => {
    expect(terminalOutput('a\nb\r\nc')).toBe('a\r\nb\r\nc');
  });
});
