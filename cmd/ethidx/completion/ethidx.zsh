#compdef ethidx
# Zsh completion for ethidx (`ethidx completion zsh`): load it with
#   source <(ethidx completion zsh)
# or save it as _ethidx in a folder of $fpath. ethidx itself lists the
# commands and flags that fit what is typed (urfave/cli's
# --generate-bash-completion; run from zsh it adds each one's usage).
_ethidx_complete() {
	local cur=${words[CURRENT]}
	local -a ask=(${words[1,CURRENT-1]})
	[[ $cur == -* ]] && ask+=($cur)
	local -a opts=("${(@f)$(${ask[@]} --generate-bash-completion 2>/dev/null)}")
	if [[ -n ${opts[1]} ]]; then
		_describe 'ethidx' opts
	else
		_files
	fi
}
compdef _ethidx_complete ethidx
