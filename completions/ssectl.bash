# bash completion for ssectl                               -*- shell-script -*-
# Install: /usr/share/bash-completion/completions/ssectl, or
#   source <(ssectl completion bash)
# Each "# command:" block lists that command's options; a test walks ssectl's
# CLI11 app and fails when an option is missing here.

_ssectl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    fi

    # command: ssectl
    local global_opts="--server --token --token-file -o --output --timeout -q --quiet -v --verbose --color -h --help --version"
    local commands="send tail token connections status completion"
    local with_value="--server|--token|--token-file|-o|--output|--timeout|--color|--title|--message|--type|--user|--entity-type|--entity-id|--action|--data|--room|--starts-at|--duration|--event|--count|--last-event-id|--user-id|--username|--email|--roles|--secret-file|--private-key|--public-key|--ttl|--stream|--wait"

    # The command path: subcommand words, skipping options and their values.
    local path="" positionals=0 i w
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
            --*=*) ;;
            -*)
                if [[ "|$with_value|" == *"|$w|"* ]]; then ((i++)); fi
                ;;
            *)
                case "$path:$w" in
                    ":send" | ":tail" | ":token" | ":connections" | ":status" | ":completion") path=$w ;;
                    "send:notification" | "send:update" | "send:chat" | "send:typing" | "send:maintenance") path="$path $w" ;;
                    "token:demo" | "token:jwt" | "token:inspect") path="$path $w" ;;
                    "connections:list" | "connections:kick") path="$path $w" ;;
                    *) ((positionals++)) ;;
                esac
                ;;
        esac
    done

    case $prev in
        -o | --output)
            COMPREPLY=($(compgen -W "text json raw" -- "$cur"))
            return
            ;;
        --color)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
            return
            ;;
        --type)
            COMPREPLY=($(compgen -W "info success warning error system" -- "$cur"))
            return
            ;;
        --action)
            COMPREPLY=($(compgen -W "create update delete status-change" -- "$cur"))
            return
            ;;
        --stream)
            COMPREPLY=($(compgen -W "notifications realtime chat status" -- "$cur"))
            return
            ;;
        --event)
            COMPREPLY=($(compgen -W "notification system-notification error-notification create update delete status-change message user-joined user-left typing status heartbeat maintenance" -- "$cur"))
            return
            ;;
        --token-file | --secret-file | --private-key | --public-key)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --server | --token | --timeout | --title | --message | --user | --entity-type | --entity-id | --data | --room | --starts-at | --duration | --count | --last-event-id | --user-id | --username | --email | --roles | --ttl | --wait)
            return
            ;;
    esac

    local opts="" words_here=""
    case $path in
        "") words_here=$commands ;;
        # command: ssectl send
        "send") words_here="notification update chat typing maintenance" ;;
        # command: ssectl send notification
        "send notification") opts="--title --message --type --user --stdin-lines" ;;
        # command: ssectl send update
        "send update") opts="--entity-type --entity-id --action --data --stdin-lines" ;;
        # command: ssectl send chat
        "send chat") opts="--room --message --stdin-lines" ;;
        # command: ssectl send typing
        "send typing") opts="--room --stdin-lines" ;;
        # command: ssectl send maintenance
        "send maintenance") opts="--message --starts-at --duration --stdin-lines" ;;
        # command: ssectl tail
        "tail")
            opts="--room --entity-type --event --count --last-event-id --no-reconnect"
            ((positionals == 0)) && words_here="notifications realtime chat status"
            ;;
        # command: ssectl token
        "token") words_here="demo jwt inspect" ;;
        # command: ssectl token demo
        "token demo") opts="--user-id --username --email --roles" ;;
        # command: ssectl token jwt
        "token jwt") opts="--secret-file --private-key --user-id --username --email --roles --ttl" ;;
        # command: ssectl token inspect
        "token inspect") opts="--secret-file --public-key" ;;
        # command: ssectl connections
        "connections") words_here="list kick" ;;
        # command: ssectl connections list
        "connections list") opts="--user --stream" ;;
        # command: ssectl connections kick
        "connections kick") opts="" ;;
        # command: ssectl status
        "status") opts="--wait" ;;
        # command: ssectl completion
        "completion") ((positionals == 0)) && words_here="bash zsh fish" ;;
        # end of commands
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global_opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
    fi
}

complete -F _ssectl ssectl
