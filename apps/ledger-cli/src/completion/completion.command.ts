import { Argument, type Command, type Option } from 'commander';
import { EXIT, type CliContext } from '../cli-context';

/** What an option's or argument's value is completed with, from its name in the definition (<file>, <dir>). */
const valueKind = (name: string): 'file' | 'dir' | 'word' =>
  /\b(file|files)\b/.test(name) ? 'file' : /\bdir\b/.test(name) ? 'dir' : 'word';

/** A command's options with its subcommands' (`witness serve --key`): what may follow the command's name. */
const optionsOf = (cmd: Command): Option[] => [...cmd.options, ...cmd.commands.flatMap(optionsOf)];

const flagsOf = (cmd: Command): string[] => [
  ...new Set(optionsOf(cmd).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined))),
  '--help',
];

/**
 * The bash completion script, generated from the program's own command definitions, so a command or option added
 * there completes without touching this file. Written by hand because commander has no completion of its own, and
 * the completion packages (tabtab, omelette) install hooks into the user's shell files and call the CLI on every
 * TAB; a static script from `custody-ledger completion bash` is what `complete -F` needs and nothing more.
 */
export const bashCompletion = (program: Command): string => {
  const commands = program.commands;
  const names = [...commands.map((c) => c.name()), 'help'];
  const optionCases = commands.map((c) => `    ${c.name()}) opts="${flagsOf(c).join(' ')}" ;;`);
  const valueCases: string[] = [];
  const seen = new Set<string>();
  for (const c of commands)
    for (const o of optionsOf(c)) {
      const kind = o.required || o.optional ? valueKind(o.flags) : undefined;
      if (!kind || !o.long || seen.has(o.long)) continue;
      seen.add(o.long);
      valueCases.push(
        kind === 'file'
          ? `    ${o.long}) COMPREPLY=($(compgen -f -- "$cur")) ; return ;;`
          : kind === 'dir'
            ? `    ${o.long}) COMPREPLY=($(compgen -d -- "$cur")) ; return ;;`
            : `    ${o.long}) COMPREPLY=() ; return ;;`,
      );
    }
  const argCases = commands.map((c) => {
    const args = c.registeredArguments;
    const kind = args.length > 0 ? valueKind(args[0].name()) : 'word';
    if (c.commands.length > 0)
      return `    ${c.name()}) COMPREPLY=($(compgen -W "${c.commands.map((s) => s.name()).join(' ')}" -- "$cur")) ;;`;
    const choices = args[0]?.argChoices;
    if (choices) return `    ${c.name()}) COMPREPLY=($(compgen -W "${choices.join(' ')}" -- "$cur")) ;;`;
    return kind === 'file'
      ? `    ${c.name()}) COMPREPLY=($(compgen -f -- "$cur")) ;;`
      : `    ${c.name()}) COMPREPLY=() ;;`;
  });
  const bin = program.name();
  const fn = `_${bin.replace(/[^A-Za-z0-9]/g, '_')}`;
  return `# bash completion for ${bin}, generated from its command definitions.
# Install: ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
#      or: eval "$(${bin} completion bash)"
${fn}() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ \${COMP_CWORD} -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} --help --version" -- "$cur"))
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
${optionCases.join('\n')}
    help) COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur")) ; return ;;
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case "$cmd" in
${argCases.join('\n')}
  esac
}
complete -o filenames -F ${fn} ${bin}
`;
};

/** `completion bash`: prints the script (the shell is a choice, so any other is a usage error). */
export const completionCommand = (program: Command, ctx: CliContext): void => {
  program
    .command('completion')
    .summary('print a shell completion script (bash)')
    .description(`print a shell completion script: eval "$(${program.name()} completion bash)"`)
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash']))
    .action(
      ctx.run(() => {
        process.stdout.write(bashCompletion(program));
        return Promise.resolve(EXIT.ok);
      }),
    );
};
