# Loaded by capture.zsh into the interactive zsh it drives.
PROMPT=
autoload -U compinit && compinit -u -D
bindkey '^I' complete-word
null-line () { print -r -- $'\0' }
compprefuncs=( null-line )
comppostfuncs=( null-line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' format ''
compadd () {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return $?
    fi
    typeset -a hits
    builtin compadd -A hits "$@"
    (( $#hits )) || return 1
    print -rl -- $hits
}
