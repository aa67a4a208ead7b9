/*
 * sn_agent.h - how this client names itself to Signal's servers.
 *
 * Every production client sends a User-Agent on every websocket handshake
 * and HTTP request, and most also X-Signal-Agent:
 *   signalmeow: "signalmeow/0.1.0 libsignal/<v> go/<v>" and "MAU"
 *     (mautrix-signal pkg/signalmeow/web/web.go, web.OpenWebsocket in
 *     web/signalwebsocket.go);
 *   Signal-Desktop: "Signal-Desktop/<version>" and "OWD"
 *     (ts/textsecure/WebAPI.ts, ts/util/getUserAgent.ts);
 *   libsignal-net: "<app UA> libsignal/<v>" on the chat websocket
 *     (rust/net/src/chat.rs, UserAgent::with_libsignal_version in env.rs).
 * Signal-Server parses only "Signal-(Android|Desktop|iOS)/<version>"
 * (util/ua/UserAgentUtil.java); anything else is a third-party client,
 * which RemoteDeprecationFilter judges by its spqr capability instead of a
 * minimum version. So we name ourselves honestly rather than borrow a
 * first-party name whose minimum versions would then apply to us.
 */
#ifndef SN_AGENT_H
#define SN_AGENT_H

/* PACKAGE_VERSION: the including .c file includes config.h first */
#define SN_USER_AGENT "signalbridge/" PACKAGE_VERSION
#define SN_SIGNAL_AGENT "signalbridge"

#endif /* SN_AGENT_H */
