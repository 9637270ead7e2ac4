# bash completion for ssectl                               -*- shell-script -*-
# Install: /usr/share/bash-completion/completions/ssectl, or
#   source <(ssectl completion bash)
# Each "# command:" block lists that command's options; a test walks ssectl's
# CLI11 app and fails when an option is missing here.

# Completes the last item of a comma-separated list ("realtime,ch" -> "realtime,chat").
_ssectl_comma_list() {
    local prefix=""
    [[ $cur == *,* ]] && prefix=${cur%,*},
    COMPREPLY=($(compgen -P "$prefix" -W "$1" -- "${cur##*,}"))
}

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
    local global_opts="--server --token --token-file --config -o --output --timeout -q --quiet -v --verbose --color -h --help --version"
    local commands="send tail wait token connections status completion help"
    local streams="notifications realtime chat status"
    local events="notification system-notification error-notification create update delete status-change message user-joined user-left typing status heartbeat maintenance"
    local with_value="--server|--token|--token-file|--config|-o|--output|--timeout|--color|--title|--message|--type|--user|--entity-type|--entity-id|--action|--data|--room|--starts-at|--duration|--retry|--event|--match|--count|--last-event-id|--connect-timeout|--user-id|--username|--email|--roles|--secret-file|--private-key|--public-key|--ttl|--stream|--wait"

    # The command path: subcommand words, skipping options and their values.
    # `help` takes command words as arguments; `wait ... -- COMMAND` runs COMMAND.
    local path="" positionals=0 i w help_args="" command_at=0
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $path == wait && $w == -- ]]; then
            command_at=$((i + 1))
            break
        fi
        case $w in
            --*=*) ;;
            -*)
                if [[ "|$with_value|" == *"|$w|"* ]]; then ((i++)); fi
                ;;
            *)
                case "$path:$w" in
                    ":send" | ":tail" | ":wait" | ":token" | ":connections" | ":status" | ":completion" | ":help") path=$w ;;
                    "send:notification" | "send:update" | "send:chat" | "send:typing" | "send:maintenance") path="$path $w" ;;
                    "token:demo" | "token:jwt" | "token:inspect") path="$path $w" ;;
                    "connections:list" | "connections:kick") path="$path $w" ;;
                    "help:"*) help_args="$help_args $w" ;;
                    *) ((positionals++)) ;;
                esac
                ;;
        esac
    done

    # After `wait ... --`: a command, then its arguments (files).
    if ((command_at > 0)); then
        if ((cword == command_at)); then
            COMPREPLY=($(compgen -c -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return
    fi

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
            COMPREPLY=($(compgen -W "$streams" -- "$cur"))
            return
            ;;
        --event)
            _ssectl_comma_list "$events"
            return
            ;;
        --token-file | --config | --secret-file | --private-key | --public-key)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --server | --token | --timeout | --title | --message | --user | --entity-type | --entity-id | --data | --room | --starts-at | --duration | --retry | --match | --count | --last-event-id | --connect-timeout | --user-id | --username | --email | --roles | --ttl | --wait)
            return
            ;;
    esac

    local opts="" words_here=""
    case $path in
        "") words_here=$commands ;;
        # command: ssectl send
        "send") words_here="notification update chat typing maintenance" ;;
        # command: ssectl send notification
        "send notification") opts="--title --message --type --user --stdin-lines --retry" ;;
        # command: ssectl send update
        "send update") opts="--entity-type --entity-id --action --data --stdin-lines --retry" ;;
        # command: ssectl send chat
        "send chat") opts="--room --message --stdin-lines --retry" ;;
        # command: ssectl send typing
        "send typing") opts="--room --stdin-lines --retry" ;;
        # command: ssectl send maintenance
        "send maintenance") opts="--message --starts-at --duration --stdin-lines --retry" ;;
        # command: ssectl tail
        "tail")
            opts="--room --entity-type --event --match --count --last-event-id --no-follow --no-reconnect --connect-timeout"
            if ((positionals == 0)) && [[ $cur != -* ]]; then
                _ssectl_comma_list "$streams"
                return
            fi
            ;;
        # command: ssectl wait
        "wait")
            opts="--room --entity-type --event --match --count --last-event-id --no-follow --no-reconnect --connect-timeout"
            if ((positionals == 0)) && [[ $cur != -* ]]; then
                _ssectl_comma_list "$streams"
                return
            fi
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
        # command: ssectl help
        "help")
            case $help_args in
                "") words_here=$commands ;;
                " send") words_here="notification update chat typing maintenance" ;;
                " token") words_here="demo jwt inspect" ;;
                " connections") words_here="list kick" ;;
            esac
            ;;
        # end of commands
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global_opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
    fi
}

complete -F _ssectl ssectl
