-- mcdisc.lua - a Wireshark dissector for mcdisc's datagrams:
--   * the discovery exchange of the ESP32-C3 chapter (a query to the
--     group, a reply "NAME PROTO PORT" by unicast; docs/PROTOCOL.md);
--   * mcdisc's extension, version 1 (the text, a NUL, then "MCDX",
--     version, kind, flags, nonce, [id,] TLVs; docs/PROTOCOL.md, "The
--     extension, version 1");
--   * the test header of `mcdisc send` (docs/PROBE.md).
-- Registered on UDP port 3333 (the chapter's) and as a heuristic on UDP
-- for other ports (a test header, an extended datagram, or the chapter's
-- query text). Everything is read with explicit bounds: a malformed
-- datagram gets "mcdisc.error" fields and expert info, never a Lua error.
--
-- Install: copy into ~/.local/lib/wireshark/plugins/ (the package puts it
-- in the global Lua plugin folder; `tshark -G folders` shows both), or
-- load it once with `tshark -X lua_script:mcdisc.lua`.

local mcdisc = Proto("mcdisc", "mcdisc multicast discovery")

local CHAPTER_QUERY = "Are you Espressif IOT Smart Light"
local EXT_MAX = 1232 -- an extended datagram's size bound (IPv6 minimum MTU)
local PROBE_LEN = 32

local kinds = {[1] = "query", [2] = "reply", [3] = "announcement", [4] = "goodbye"}
local tlv_types = {[0] = "PAD", [1] = "WINDOW", [2] = "KNOWN", [3] = "TXT",
                   [4] = "LIFETIME", [5] = "MAC", [6] = "TEXT"}

local f = mcdisc.fields
f.kind = ProtoField.string("mcdisc.kind", "Kind")
f.error = ProtoField.string("mcdisc.error", "Error")
f.text = ProtoField.string("mcdisc.text", "Text")
f.query = ProtoField.string("mcdisc.query", "Query")
f.reply = ProtoField.string("mcdisc.reply", "Reply")
f.name = ProtoField.string("mcdisc.reply.name", "Name")
f.proto = ProtoField.string("mcdisc.reply.proto", "Protocol")
f.service_port = ProtoField.uint16("mcdisc.reply.port", "Service port")
f.nul = ProtoField.uint8("mcdisc.nul", "Terminator", base.HEX)
f.trailing = ProtoField.bytes("mcdisc.trailing", "Trailing bytes")
-- The extension, version 1.
f.ext = ProtoField.none("mcdisc.ext", "Extension")
f.ext_magic = ProtoField.string("mcdisc.ext.magic", "Magic")
f.ext_version = ProtoField.uint8("mcdisc.ext.version", "Version")
f.ext_kind = ProtoField.uint8("mcdisc.ext.kind", "Kind", base.DEC, kinds)
f.ext_flags = ProtoField.uint8("mcdisc.ext.flags", "Flags", base.HEX)
f.ext_flag_t = ProtoField.bool("mcdisc.ext.flags.t", "T: TXT left out (query too short)", 8, nil, 0x01)
f.ext_nonce = ProtoField.bytes("mcdisc.ext.nonce", "Nonce")
f.ext_counter = ProtoField.uint64("mcdisc.ext.counter", "Counter")
f.ext_id = ProtoField.string("mcdisc.ext.id", "Instance id")
f.tlv = ProtoField.none("mcdisc.ext.tlv", "TLV")
f.tlv_type = ProtoField.uint8("mcdisc.ext.tlv.type", "Type", base.DEC, tlv_types)
f.tlv_len = ProtoField.uint16("mcdisc.ext.tlv.length", "Length")
f.tlv_value = ProtoField.bytes("mcdisc.ext.tlv.value", "Value")
f.pad = ProtoField.uint16("mcdisc.ext.pad", "Padding (bytes)")
f.window = ProtoField.uint16("mcdisc.ext.window", "Reply window (ms)")
f.known_salt = ProtoField.uint16("mcdisc.ext.known.salt", "Salt", base.HEX)
f.known_k = ProtoField.uint8("mcdisc.ext.known.k", "Hash functions (k)")
f.known_m = ProtoField.uint32("mcdisc.ext.known.m", "Filter bits (m)")
f.known_filter = ProtoField.bytes("mcdisc.ext.known.filter", "Filter")
f.lifetime = ProtoField.uint32("mcdisc.ext.lifetime", "Lifetime (s)")
f.mac_key_id = ProtoField.bytes("mcdisc.ext.mac.key_id", "Key id")
f.mac = ProtoField.bytes("mcdisc.ext.mac", "MAC (HMAC-SHA-256, 16 bytes)")
f.ann_text = ProtoField.string("mcdisc.ext.text", "Device text")
f.txt = ProtoField.string("mcdisc.ext.txt", "TXT")
f.txt_key = ProtoField.string("mcdisc.ext.txt.key", "Key")
f.txt_value = ProtoField.string("mcdisc.ext.txt.value", "Value")
-- The test header of `mcdisc send`.
f.probe = ProtoField.none("mcdisc.probe", "Test header")
f.p_magic = ProtoField.string("mcdisc.probe.magic", "Magic")
f.p_version = ProtoField.uint8("mcdisc.probe.version", "Version")
f.p_flags = ProtoField.uint8("mcdisc.probe.flags", "Flags", base.HEX)
f.p_hdrlen = ProtoField.uint16("mcdisc.probe.hdrlen", "Header length")
f.p_sender = ProtoField.uint32("mcdisc.probe.sender", "Sender id", base.HEX)
f.p_seq = ProtoField.uint64("mcdisc.probe.seq", "Sequence")
f.p_time_us = ProtoField.uint64("mcdisc.probe.time_us", "Send time (us since 1970)")
f.p_time = ProtoField.absolute_time("mcdisc.probe.time", "Send time", base.UTC)
f.p_total = ProtoField.uint32("mcdisc.probe.total", "Total planned (0: open-ended)")
f.p_filler = ProtoField.bytes("mcdisc.probe.filler", "Filler")
f.p_filler_ok = ProtoField.bool("mcdisc.probe.filler_ok", "Filler is byte i = i mod 256")

local e_malformed = ProtoExpert.new("mcdisc.malformed", "Malformed mcdisc datagram",
    expert.group.PROTOCOL, expert.severity.WARN)
mcdisc.experts = {e_malformed}

-- One problem: a field for -T fields and filters, and expert info.
local function bad(tree, range, msg)
    local item = tree:add(f.error, range, msg)
    item:add_proto_expert_info(e_malformed, msg)
end

local function hex(range)
    return tostring(range:bytes()):lower()
end

-- --- the test header (docs/PROBE.md) ---------------------------------------

local function is_probe(tvb)
    return tvb:len() >= 4 and tvb(0, 4):string() == "MCDP"
end

local function filler_ok(tvb, from)
    local n = tvb:len()
    for i = from, n - 1 do
        if tvb(i, 1):uint() ~= i % 256 then
            return false
        end
    end
    return true
end

local function dissect_probe(tvb, pinfo, root)
    local n = tvb:len()
    local t = root:add(f.probe, tvb(0, math.min(n, PROBE_LEN)))
    root:add(f.kind, tvb(0, 0), "probe")
    t:add(f.p_magic, tvb(0, 4))
    if n < PROBE_LEN then
        bad(t, tvb(0, n), "test header cut short: " .. n .. " of 32 bytes")
        pinfo.cols.info = "mcdisc test header (cut short)"
        return
    end
    local version, hdrlen = tvb(4, 1):uint(), tvb(6, 2):uint()
    t:add(f.p_version, tvb(4, 1))
    t:add(f.p_flags, tvb(5, 1))
    t:add(f.p_hdrlen, tvb(6, 2))
    t:add(f.p_sender, tvb(8, 4))
    t:add(f.p_seq, tvb(12, 8))
    local us = tvb(20, 8):uint64()
    t:add(f.p_time_us, tvb(20, 8))
    t:add(f.p_time, tvb(20, 8), NSTime((us / 1000000):tonumber(), ((us % 1000000) * 1000):tonumber()))
    t:add(f.p_total, tvb(28, 4))
    if version ~= 1 then
        bad(t, tvb(4, 1), "test header version " .. version .. " (1 expected)")
    end
    if hdrlen ~= PROBE_LEN then
        bad(t, tvb(6, 2), "test header length " .. hdrlen .. " (32 expected)")
    end
    if n > PROBE_LEN then
        local fill = t:add(f.p_filler, tvb(PROBE_LEN, n - PROBE_LEN))
        t:add(f.p_filler_ok, tvb(PROBE_LEN, n - PROBE_LEN), filler_ok(tvb, PROBE_LEN))
    end
    pinfo.cols.info = string.format("mcdisc test datagram sender %08x seq %s",
        tvb(8, 4):uint(), tostring(tvb(12, 8):uint64()))
end

-- --- the chapter's texts ------------------------------------------------------

-- "NAME PROTO PORT", read from the right (docs/PROTOCOL.md, "The reply").
-- Returns name, proto, port and their offsets, or nil and why not.
local function parse_reply(s)
    local name, proto, port = s:match("^(.*) ([^ ]*) ([^ ]*)$")
    if name == nil then
        return nil, "not NAME PROTO PORT"
    end
    local num = tonumber(port)
    if not port:match("^[1-9][0-9]*$") or num > 65535 then
        return nil, "port '" .. port .. "' is not 1-65535"
    end
    if not proto:match("^[A-Za-z][A-Za-z0-9+.-]*$") or #proto > 32 then
        return nil, "protocol '" .. proto .. "' is not a scheme of at most 32 bytes"
    end
    if #name < 1 or #name > 200 or name:find("[%z\1-\31\127]") or
        name:sub(1, 1) == " " or name:sub(-1) == " " then
        return nil, "name is not 1-200 bytes without controls and outer spaces"
    end
    return name, proto, num
end

local function add_reply(tree, range, s)
    local name, proto, port = parse_reply(s)
    tree:add(f.reply, range, s)
    if name == nil then
        bad(tree, range, "reply: " .. proto)
        return nil
    end
    tree:add(f.name, range(0, #name), name)
    tree:add(f.proto, range(#name + 1, #proto), proto)
    tree:add(f.service_port, range(#name + #proto + 2), port)
    return name .. " " .. proto .. " " .. port
end

-- Is the datagram's destination a multicast group (a query), or unicast?
local function to_group(pinfo)
    local d = tostring(pinfo.dst)
    local first = tonumber(d:match("^(%d+)%."))
    if first ~= nil then
        return first >= 224 and first <= 239
    end
    return d:lower():sub(1, 2) == "ff"
end

-- --- the extension, version 1 -------------------------------------------------

local function dissect_txt(t, r)
    local s = r:string(ENC_UTF_8)
    t:add(f.txt, r, s)
    local eq = s:find("=", 1, true)
    if eq == nil then
        bad(t, r, "TXT without '='")
        return
    end
    t:add(f.txt_key, r(0, eq - 1), s:sub(1, eq - 1))
    if eq < r:len() then
        t:add(f.txt_value, r(eq), s:sub(eq + 1))
    else
        t:add(f.txt_value, r(0, 0), "")
    end
end

local function dissect_known(t, r)
    local len = r:len()
    if len < 4 then
        bad(t, r, "KNOWN of " .. len .. " bytes (at least 4)")
        return
    end
    local k = r(2, 1):uint()
    t:add(f.known_salt, r(0, 2))
    t:add(f.known_k, r(2, 1))
    if k < 1 or k > 16 then
        bad(t, r(2, 1), "KNOWN k = " .. k .. " (1-16)")
    end
    t:add(f.known_m, r(3), 8 * (len - 3))
    t:add(f.known_filter, r(3))
end

-- One TLV's value, by type (the first of a type counts; the caller says).
local function dissect_value(t, typ, r, kind, first)
    local len = r:len()
    if typ == 0 then
        t:add(f.pad, r, len)
    elseif typ == 1 and first then
        if len ~= 2 then
            bad(t, r, "WINDOW of " .. len .. " bytes (2)")
        else
            t:add(f.window, r)
        end
    elseif typ == 2 and first then
        dissect_known(t, r)
    elseif typ == 3 then
        dissect_txt(t, r)
    elseif typ == 4 and first then
        if len ~= 4 then
            bad(t, r, "LIFETIME of " .. len .. " bytes (4)")
        else
            t:add(f.lifetime, r)
        end
    elseif typ == 5 then
        if len ~= 20 then
            bad(t, r, "MAC of " .. len .. " bytes (20)")
        else
            t:add(f.mac_key_id, r(0, 4))
            t:add(f.mac, r(4, 16))
        end
    elseif typ == 6 and first then
        t:add(f.ann_text, r, r:string(ENC_UTF_8))
    end
    -- Which kinds carry which TLVs (docs/PROTOCOL.md).
    local where = {[0] = {[1] = true}, [1] = {[1] = true}, [2] = {[1] = true},
                   [3] = {[2] = true, [3] = true}, [4] = {[2] = true, [3] = true},
                   [5] = {[2] = true, [3] = true, [4] = true},
                   [6] = {[3] = true, [4] = true}}
    if where[typ] ~= nil and not where[typ][kind] then
        t:append_text(" (not expected in a " .. kinds[kind] .. ")")
    end
end

local function dissect_tlvs(tvb, tree, off, kind)
    local n, seen = tvb:len(), {}
    while off < n do
        if n - off < 3 then
            bad(tree, tvb(off), "TLV header cut short: " .. (n - off) .. " of 3 bytes")
            return false
        end
        local typ, len = tvb(off, 1):uint(), tvb(off + 1, 2):uint()
        local t = tree:add(f.tlv, tvb(off, math.min(3 + len, n - off)))
        t:set_text(string.format("TLV %s, %d bytes", tlv_types[typ] or tostring(typ), len))
        t:add(f.tlv_type, tvb(off, 1))
        t:add(f.tlv_len, tvb(off + 1, 2))
        if off + 3 + len > n then
            bad(t, tvb(off + 1, 2), "TLV runs past the end: " .. len .. " bytes, " ..
                (n - off - 3) .. " left")
            return false
        end
        if len > 0 then
            local r = tvb(off + 3, len)
            t:add(f.tlv_value, r)
            dissect_value(t, typ, r, kind, not seen[typ])
        end
        seen[typ] = true
        off = off + 3 + len
    end
    return true
end

-- The part after the text's NUL, at `off`. Returns a summary for Info.
local function dissect_ext(tvb, tree, off)
    local n = tvb:len()
    local t = tree:add(f.ext, tvb(off))
    t:add(f.ext_magic, tvb(off, 4))
    if n - off < 15 then
        bad(t, tvb(off), "extension header cut short: " .. (n - off) .. " of 15 bytes")
        return "malformed extension"
    end
    local version, kind = tvb(off + 4, 1):uint(), tvb(off + 5, 1):uint()
    t:add(f.ext_version, tvb(off + 4, 1))
    t:add(f.ext_kind, tvb(off + 5, 1))
    local fl = t:add(f.ext_flags, tvb(off + 6, 1))
    fl:add(f.ext_flag_t, tvb(off + 6, 1))
    if kind == 3 or kind == 4 then
        t:add(f.ext_counter, tvb(off + 7, 8))
    else
        t:add(f.ext_nonce, tvb(off + 7, 8))
    end
    if n > EXT_MAX then
        bad(t, tvb(0, n), "extended datagram of " .. n .. " bytes (at most 1232)")
    end
    if version == 0 then
        bad(t, tvb(off + 4, 1), "extension version 0")
        return "malformed extension"
    end
    if kinds[kind] == nil then
        t:append_text(" (kind " .. kind .. " unknown: ignored)")
        return "extension kind " .. kind
    end
    local body = off + 15
    if kind >= 2 then
        if n - body < 8 then
            bad(t, tvb(body), "extended " .. kinds[kind] .. " cut short: no 8-byte id")
            return "malformed extended " .. kinds[kind]
        end
        t:add(f.ext_id, tvb(body, 8), hex(tvb(body, 8)))
        body = body + 8
    end
    local ok = dissect_tlvs(tvb, t, body, kind)
    local what = "extended " .. kinds[kind] ..
        ((kind == 3 or kind == 4) and " counter " or " nonce ") .. hex(tvb(off + 7, 8))
    if kind >= 2 then
        what = what .. " id " .. hex(tvb(off + 15, 8))
    end
    return ok and what or ("malformed " .. what)
end

-- --- a datagram of the exchange ----------------------------------------------

local function first_nul(tvb)
    for i = 0, tvb:len() - 1 do
        if tvb(i, 1):uint() == 0 then
            return i
        end
    end
    return nil
end

local function has_ext(tvb, nul)
    return nul ~= nil and tvb:len() >= nul + 5 and tvb(nul + 1, 4):string() == "MCDX"
end

local function dissect_exchange(tvb, pinfo, tree)
    local n = tvb:len()
    if n == 0 then
        tree:add(f.kind, tvb(0, 0), "empty")
        bad(tree, tvb(0, 0), "zero-byte datagram")
        pinfo.cols.info = "mcdisc empty datagram"
        return
    end
    local nul = first_nul(tvb)
    local tlen = nul or n
    local ext = has_ext(tvb, nul)
    local kind
    if ext and n >= nul + 7 then
        kind = kinds[tvb(nul + 6, 1):uint()]
    end
    if kind == nil then
        kind = to_group(pinfo) and "query" or "reply"
    end
    local text = tlen > 0 and tvb(0, tlen):string(ENC_UTF_8) or ""
    local trange = tlen > 0 and tvb(0, tlen) or tvb(0, 0)
    local summary
    if kind == "reply" then
        summary = add_reply(tree, trange, text)
        if summary == nil and not ext and text == CHAPTER_QUERY then
            tree:add(f.query, trange, text) -- a query sent by unicast
            kind, summary = "query", text
        end
    else
        tree:add(f.query, trange, text)
        summary = '"' .. text .. '"'
    end
    tree:add(f.kind, tvb(0, 0), ext and ("extended " .. kind) or kind)
    if nul ~= nil then
        tree:add(f.nul, tvb(nul, 1))
    end
    local info = "mcdisc " .. kind .. " " .. (summary or "(malformed)")
    if ext then
        info = info .. ", " .. dissect_ext(tvb, tree, nul + 1)
    elseif nul ~= nil and nul + 1 < n then
        tree:add(f.trailing, tvb(nul + 1))
        if tvb(nul + 1, math.min(4, n - nul - 1)):string() ~= "MCDX" then
            info = info .. ", bytes after the NUL"
        else
            bad(tree, tvb(nul + 1), "extension cut short before its magic")
        end
    end
    pinfo.cols.info = info
end

function mcdisc.dissector(tvb, pinfo, root)
    pinfo.cols.protocol = "MCDISC"
    local tree = root:add(mcdisc, tvb())
    -- A bug here must not hide the packet: say it as a field instead.
    local ok, err = pcall(function()
        if is_probe(tvb) then
            dissect_probe(tvb, pinfo, tree)
        else
            dissect_exchange(tvb, pinfo, tree)
        end
    end)
    if not ok then
        bad(tree, tvb(), "dissector error: " .. tostring(err))
    end
    return tvb:len()
end

-- Other ports: a valid test header, an extended datagram, or the chapter's
-- query (with or without its NUL).
local function heuristic(tvb, pinfo, root)
    local n = tvb:len()
    local ok = false
    if n >= PROBE_LEN and is_probe(tvb) then
        ok = tvb(4, 1):uint() == 1 and tvb(6, 2):uint() == PROBE_LEN
    elseif n > 0 then
        local nul = first_nul(tvb)
        ok = has_ext(tvb, nul) or
            (nul == nil and n == #CHAPTER_QUERY and tvb(0, n):string() == CHAPTER_QUERY) or
            (nul == #CHAPTER_QUERY and n == nul + 1 and tvb(0, nul):string() == CHAPTER_QUERY)
    end
    if not ok then
        return false
    end
    mcdisc.dissector(tvb, pinfo, root)
    return true
end

DissectorTable.get("udp.port"):add(3333, mcdisc)
mcdisc:register_heuristic("udp", heuristic)
