package io.portcullis.ir;

/** TCP connection state as a match sees it: established = ACK or RST set; new = neither. */
public enum TcpState { ANY, ESTABLISHED, NEW }
