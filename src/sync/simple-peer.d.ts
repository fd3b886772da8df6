// Typing for simple-peer 9's prebuilt browser bundle (UMD: `module.exports =
// SimplePeer`, so a bundler's CJS interop gives it as the default export).
// Only the surface WebRtcTransport uses; simple-peer ships no types.
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    channelName?: string;
    channelConfig?: RTCDataChannelInit;
    config?: RTCConfiguration;
    trickle?: boolean;
    objectMode?: boolean;
    allowHalfTrickle?: boolean;
  }
  export interface SimplePeerInstance {
    readonly connected: boolean;
    readonly destroyed: boolean;
    /** The data channel's bufferedAmount (0 before it exists). */
    readonly bufferSize: number;
    /** Internal: the connection, made in the constructor; the frames channel is negotiated on it (RTC25). */
    readonly _pc: RTCPeerConnection;
    signal(data: unknown): void;
    send(data: ArrayBufferView | ArrayBuffer | string): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'data', listener: (data: Uint8Array | string) => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
  }
  export type SimplePeerConstructor = new (options?: SimplePeerOptions) => SimplePeerInstance;
  const SimplePeer: SimplePeerConstructor;
  export default SimplePeer;
}
