/**
 * Errors as RFC 9457 {@code application/problem+json}, wherever they arise: JAX-RS ({@code ProblemMapper}),
 * servlet filters ({@code Problem.writeTo}) and the server's own error pages ({@code ErrorPageServlet}).
 * Never a stack trace, never a 500 for something a client sent. The bottom layer: it imports no other component.
 */
package dev.herald.problem;
