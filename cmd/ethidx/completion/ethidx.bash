# Bash completion for ethidx (`ethidx completion bash`): load it with
#   source <(ethidx completion bash)
# or save it as /etc/bash_completion.d/ethidx. ethidx itself lists the
# commands and flags that fit what is typed (urfave/cli's
# --generate-bash-completion), so this never goes out of date.
_ethidx_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local -a ask=("${COMP_WORDS[@]:0:COMP_CWORD}")
	if [[ $cur == -* ]]; then
		ask+=("$cur")
	fi
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${ask[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o default -F _ethidx_complete ethidx
